/**
 * The openvswitch backend's "analyzer vs dataplane": the analyzer agrees with real Open
 * vSwitch (issue 14, acceptance 2; no root). Every golden-ovs fixture's compute node, after
 * its first sync and after its events, is loaded into a real ovs-vswitchd (Debian
 * openvswitch-switch, dummy datapath): br-int with its ports at the harness's ofports, the
 * flows the backend under test renders for it (the golden cases hold them equal to what
 * Neutron's own OVSFirewallDriver wrote) and the agent's base pipeline around them
 * (support/ovs-bridge.ts). Random new flows are traced
 * with `ofproto/trace --ct-next trk,new` (conntrack says "new connection" at
 * each recirculation) through ovs-vswitchd's unixctl socket; delivered means
 * the destination port is among the datapath's output actions. can-reach
 * --backend openvswitch on the snapshot of the same input must say the same
 * for every flow: ALLOW for a sender on this node (its egress and the
 * destination's ingress are both traced here), the ingress step's verdict for
 * a sender on another node (its egress runs on its own node, not here).
 *
 * PORTSEC_SEED=<n> replays a run (the seed is printed).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ReachAnswer } from '../../../src/analysis/answers.js';
import { buildCloud } from '../../../src/analysis/cloud.js';
import { indexForQueries } from '../../../src/analysis/endpoints.js';
import { canReach } from '../../../src/analysis/reach.js';
import { stepText } from '../../../src/analysis/report/explain.js';
import { type OvsNode } from '../../../src/backends/openvswitch/backend.js';
import { seededRandom } from '../../../src/model/random.js';
import { parseTopology } from '../../../src/policy/topology.js';
import { checkNumbering, harnessNumbering, loadBridge, type LocalPort, tracedOutputs } from '../../support/ovs-bridge.js';
import { FlowPlanner, type PlannedFlow } from '../../support/ovs-flow-plan.js';
import { type OvsSwitch, startOvs } from '../../support/ovs-switch.js';
import { topologySnapshot } from '../../support/topology-snapshot.js';
import { applyEvents, type Topology } from '../../golden/topology-generator.mjs';
import { fixturesFor, type Fixture } from '../fixtures.js';
import { type BackendUnderTest, type PlaneCase } from '../index.js';

const SEED = Number(process.env.PORTSEC_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** random flows per node state: about 24,000 in all (a trace costs about 0.2 ms over the unixctl connection, loading a bridge about 150 ms) */
const FLOWS_PER_STATE = 90;
/** traces in flight on the one unixctl connection */
const PIPELINE = 32;

type Input = Topology & { options: { host?: string } };

/** One state of a fixture's node: its topology (the input without its events, or with them applied) and the flows the backend renders for it. */
interface NodeState {
  name: string;
  topology: Input;
  flows: readonly string[];
  /** the ofports and VLANs the golden harness gave its ports, which the renderer's OVSDB facts follow */
  numbers: ReturnType<typeof harnessNumbering>;
}

/**
 * The states of a fixture's node the golden harness captured, as the backend renders them: after the first sync
 * of the input (the events' ports numbered too, as in that run) and, when it has events, a fresh sync of the end
 * topology — `portsec compile --driver openvswitch`'s flows, which the golden cases hold equal to Neutron's.
 */
function nodeStates(b: BackendUnderTest<OvsNode>, file: string, fixture: Fixture): NodeState[] {
  const input = fixture.input as Input;
  const { events: _events, ...first } = input;
  const flowsOf = (t: Input) => b.create(parseTopology(t)).state.flows;
  const initial = { name: file, topology: input, flows: flowsOf(first as Input), numbers: harnessNumbering(input) };
  if (!fixture.final) return [initial];
  const end = applyEvents(input) as Input;
  return [initial, { name: `${file} (final)`, topology: end, flows: flowsOf(end), numbers: harnessNumbering(end) }];
}

const tally = { states: 0, flows: 0, delivered: 0, dropped: 0, agreed: 0, remote: 0, vip: 0, traceMs: 0, loadMs: 0, bySource: {} as Record<string, [number, number]> };
const disagreements: string[] = [];
/** node states whose flows Open vSwitch refuses to load */
const unloadable: string[] = [];
let ovs: OvsSwitch | undefined;

function describeDisagreement(name: string, f: PlannedFlow, delivered: boolean, answer: ReachAnswer, trace: string): string {
  return [
    `${name}: ${f.sender} sender, source ${f.source}: ${f.flow}: OVS ${delivered ? 'DELIVERED' : 'DROPPED'}, can-reach ${answer.verdict}`,
    `  query ${JSON.stringify(f.query)}`,
    ...answer.steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.stage}: ${stepText(s)}`),
    ...trace.split('\n').filter((l) => /^\s*\d+\. |Datapath actions/.test(l)).map((l) => `  | ${l}`),
  ].join('\n');
}

/** What can-reach says the trace should show: the whole path for a local sender, the ingress alone for a remote one. */
function analyzerDelivers(f: PlannedFlow, answer: ReachAnswer): boolean {
  if (f.sender === 'local') return answer.verdict === 'ALLOW';
  const ingress = answer.steps.filter((s) => s.stage === 'ingress');
  return ingress.length > 0 && ingress.every((s) => s.ok);
}

async function runState(state: NodeState, seed: number): Promise<void> {
  const { ports, security_groups, options } = state.topology;
  const host = options.host;
  const topology = parseTopology({ ports, security_groups, options: host === undefined ? {} : { host } });
  const local: LocalPort[] = topology.ports.filter((p) => p.local).map((port) => ({ port, ...state.numbers.get(port.id)! }));
  expect(checkNumbering(state.flows, local), `${state.name}: the flows were rendered with other ofports than the harness's`).toEqual([]);
  let datapath: Map<number, number>;
  const loading = performance.now();
  try {
    datapath = await loadBridge(ovs!, local, state.flows);
    tally.loadMs += performance.now() - loading;
  } catch (e) {
    // Neutron writes a pair's MAC into its flows as spelled; OVS refuses some spellings, and so would the node's agent
    unloadable.push(`${state.name}: ${(e as Error).message}`);
    return;
  }

  // as `can-reach --backend openvswitch` builds it (cli/analyze.ts: ipsets are the iptables drivers' option)
  const cloud = buildCloud(topologySnapshot(state.topology, `golden-ovs ${state.name}`), { backend: 'openvswitch' });
  indexForQueries(cloud);
  const planner = new FlowPlanner(seededRandom(seed), cloud, local);
  if (!planner.possible) return;
  tally.states++;
  const planned = Array.from({ length: FLOWS_PER_STATE }, () => planner.next());
  for (let i = 0; i < planned.length; i += PIPELINE) {
    const batch = planned.slice(i, i + PIPELINE);
    const tracing = performance.now();
    const traces = await Promise.all(batch.map((f) => ovs!.unixctl.call('ofproto/trace', ['br-int', f.flow, '--ct-next', 'trk,new', '--ct-next', 'trk,new'])));
    tally.traceMs += performance.now() - tracing;
    batch.forEach((f, j) => {
      const delivered = tracedOutputs(traces[j]).has(datapath.get(f.dstOfport)!);
      const answer = canReach(cloud, f.query);
      tally.flows++;
      tally[delivered ? 'delivered' : 'dropped']++;
      tally.remote += Number(f.sender === 'remote');
      tally.vip += Number(f.vip);
      const kind = (tally.bySource[`${f.sender} ${f.source}`] ??= [0, 0]);
      kind[0]++;
      kind[1] += Number(delivered);
      if (delivered === analyzerDelivers(f, answer)) tally.agreed++;
      else disagreements.push(describeDisagreement(state.name, f, delivered, answer, traces[j]));
    });
  }
}

function ovsTrace(b: BackendUnderTest<OvsNode>): void {
  describe(`${b.name}: analyzer vs dataplane (can-reach vs ofproto/trace on real Open vSwitch)`, () => {
    const fixtures = fixturesFor(b, 'analyzer vs dataplane');
    beforeAll(async () => {
      ovs = await startOvs();
    });
    afterAll(async () => {
      await ovs?.stop();
    });

    test(`every ${b.fixtures} fixture, before and after its events: at least 10,000 random new flows, 100% agreement`, async () => {
      console.log(`PORTSEC_SEED=${SEED} (ovsdb-server and ovs-vswitchd: PIDs ${ovs!.pids.join(', ')}, files in ${ovs!.dir})`);
      const started = Date.now();
      for (const [i, [file, fixture]] of fixtures.entries()) {
        for (const [j, state] of nodeStates(b, file, fixture).entries()) await runState(state, SEED + i * 7919 + j * 104729);
      }
      const seconds = (Date.now() - started) / 1000;
      console.log(`PORTSEC_SEED=${SEED}: ${fixtures.length} fixtures, ${tally.states} node states, ${tally.flows} flows traced (${tally.remote} from other nodes, ingress only; ${tally.vip} to a VIP), ` +
        `${tally.delivered} delivered, ${tally.dropped} dropped, ${tally.agreed} agreed, ${disagreements.length} disagreements; ` +
        `${seconds.toFixed(1)} s in all: traces ${(tally.traceMs / 1000).toFixed(1)} s (${(tally.flows / (tally.traceMs / 1000)).toFixed(0)}/s over one unixctl connection), ` +
        `loading bridges ${(tally.loadMs / 1000).toFixed(1)} s; delivered/traced by sender and source: ` +
        Object.entries(tally.bySource).sort().map(([k, [n, d]]) => `${k} ${d}/${n}`).join(', '));
      if (unloadable.length) console.log(`node states whose flows Open vSwitch refuses (a real agent's add-flows fails the same way):\n${unloadable.join('\n')}`);
      expect(unloadable.filter((u) => !/ovs-ofctl replace-flows: .*: invalid Ethernet address/.test(u)), 'node states whose flows do not load for another reason').toEqual([]);
      expect(disagreements.length, `PORTSEC_SEED=${SEED}: ${disagreements.length} disagreements, the first ones:\n${disagreements.slice(0, 15).join('\n')}`).toBe(0);
      expect(tally.flows).toBeGreaterThanOrEqual(10_000);
      // both outcomes occur in numbers: a harness that delivered everything (or nothing) could not disagree
      expect(tally.delivered).toBeGreaterThan(tally.flows / 10);
      expect(tally.dropped).toBeGreaterThan(tally.flows / 10);
    }, 600_000);
  });
}

export const OVS_TRACE: PlaneCase<OvsNode> = { part: 'unit', register: ovsTrace };
