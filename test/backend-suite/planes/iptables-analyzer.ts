/**
 * The iptables backend's "analyzer vs dataplane": the analyzer agrees with the kernel
 * (issue 5, acceptance 2; root). Seeded random
 * clouds are built on `portsec serve` with its agents (2–3 compute nodes,
 * VXLAN between them); every instance runs one packet prober (support/
 * packet-probe.py) that sends crafted IPv4 packets from any source address
 * and reports the probes it receives. Each probe's delivery is compared with
 * can-reach's verdict on the snapshot of the server's database: they must
 * agree on every packet. Control packets between two unfiltered instances on
 * different nodes, which no policy can stop, must all arrive: a packet lost
 * for any other reason than policy would show up there.
 *
 * PORTSEC_SEED=<n> replays a run (the seed is printed).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { type ReachAnswer } from '../../../src/analysis/answers.js';
import { buildCloud, type Cloud } from '../../../src/analysis/cloud.js';
import { canReach } from '../../../src/analysis/reach.js';
import { stepText } from '../../../src/analysis/report/explain.js';
import { fromStore } from '../../../src/analysis/sources/store.js';
import { instanceNamespace, nodeNamespace, underlayNamespace } from '../../../src/dataplane/compute-node.js';
import { nodeState } from '../../../src/dataplane/iptables/fail-closed.js';
import { convergence, readKernelState } from '../../../src/dataplane/iptables/kernel-state.js';
import { deleteNamespace } from '../../../src/dataplane/netns.js';
import { NeutronClient } from '../../../src/lab/client.js';
import { labDown, labUp } from '../../../src/lab/lab.js';
import { seededRandom } from '../../../src/model/random.js';
import { FAMILIES } from '../../../src/policy/ir.js';
import { parseTopology } from '../../../src/policy/topology.js';
import { SqliteStore } from '../../../src/store/sqlite/store.js';
import { topologyForHost } from '../../../src/store/topology.js';
import { isRoot } from '../../support/netns.js';
import { Prober, stopProbers } from '../../support/packet-prober.js';
import { type Endpoint, hotPorts, type Probe, ProbePlanner } from '../../support/probe-plan.js';
import { type CloudPlan, createGroups, Dice, HOSTS, randomCloud } from '../../support/random-cloud.js';
import { startServer } from '../../support/server.js';
import { type IptablesNode } from '../../../src/backends/iptables/backend.js';
import { type BackendUnderTest, type PlaneCase } from '../index.js';

const SEED = Number(process.env.PORTSEC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TOPOLOGIES = 5;
/** random probes per topology (control packets come on top) */
const PROBES = 2100;
/** every so many packets, one is a control packet */
const CONTROL_EVERY = 20;
/** seconds between two packets (all probers together): about 2,000 packets a second */
const GAP = 0.0005;
/** after the last packet left, how long deliveries may take to be sniffed */
const SETTLE_MS = 1500;

interface Outcome {
  topology: number;
  shape: string;
  sent: number;
  delivered: number;
  allowed: number;
  controls: number;
  controlsDelivered: number;
  /** per kind of source address: [sent, delivered] */
  bySource: Record<string, [number, number]>;
  disagreements: string[];
}

const outcomes: Outcome[] = [];
/** every namespace a topology may leave behind, deleted by exact name at the end */
const namespaces = new Set<string>([...HOSTS.map(nodeNamespace), underlayNamespace()]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What still differs between a node's kernel and its compiled policy (filter tables and ipsets; conntrack zone numbers are the agent's own). */
async function pending(b: BackendUnderTest<IptablesNode>, store: SqliteStore, host: string): Promise<string[]> {
  const compiled = b.create(parseTopology(await store.snapshot((tx) => topologyForHost(tx, host)))).state;
  const d = convergence(readKernelState(nodeNamespace(host), 'nft'), nodeState(compiled));
  return [
    ...FAMILIES.flatMap((f) => [...d.iptables[f].filter.write.keys(), ...d.iptables[f].filter.remove].map((c) => `${f} chain ${c}`)),
    ...[...d.createSets.keys(), ...d.addMembers.keys(), ...d.delMembers.keys(), ...d.destroySets].map((s) => `ipset ${s}`),
  ];
}

/** Waits until every node's agent has applied every change (labUp waits for each port's own chains only, not for the members it adds elsewhere). */
async function untilEnforced(b: BackendUnderTest<IptablesNode>, store: SqliteStore, hosts: string[], timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = (await Promise.all(hosts.map(async (h) => (await pending(b, store, h)).map((p) => `${h}: ${p}`)))).flat();
    if (!left.length) return;
    if (Date.now() > end) throw new Error(`the nodes did not converge within ${timeoutMs / 1000} s: ${left.join(', ')}`);
    await sleep(200);
  }
}

async function endpointsOf(client: NeutronClient, plan: CloudPlan): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  for (const inst of plan.spec.instances) {
    const nic = inst.ports[0];
    const port = (await client.call('GET', `ports?name=${inst.name}-eth0`)).ports[0];
    out.push({
      instance: inst.name, ns: instanceNamespace(inst.name), port: port.id, mac: port.mac_address, ip: port.fixed_ips[0].ip_address,
      network: nic.network, cidr: plan.spec.networks.find((n) => n.name === nic.network)!.cidr,
      pairs: port.allowed_address_pairs.map((a: { ip_address: string }) => a.ip_address),
    });
  }
  return out;
}

/** The packets of one topology, in sending order: random probes with a control packet every CONTROL_EVERY. */
function planProbes(planner: ProbePlanner, endpoints: Endpoint[], plan: CloudPlan): Probe[] {
  const [a, b] = plan.controls.map((c) => endpoints.find((e) => e.instance === c)!);
  const probes: Probe[] = [];
  for (let random = 0; random < PROBES;) {
    if (probes.length % CONTROL_EVERY === 0) probes.push(probes.length % (2 * CONTROL_EVERY) ? planner.control(b, a) : planner.control(a, b));
    else probes.push(planner.random()), random++;
  }
  return probes;
}

function describeProbe(p: Probe): string {
  const k = p.packet;
  const l4 = k.proto === 6 || k.proto === 17 ? `${k.proto === 6 ? 'tcp' : 'udp'} ${k.sport}->${k.dport}` : k.proto === 1 ? `icmp type ${k.icmpType} code ${k.icmpCode}` : `protocol ${k.proto}`;
  return `probe ${k.id}: ${p.from.instance} (port ${p.from.port}, ${p.from.ip}) -> ${p.to.instance} (port ${p.to.port}, ${p.to.ip}), ${l4}, source ${k.src} (${p.source})`;
}

function disagreement(p: Probe, delivered: boolean, answer: ReachAnswer): string {
  return [
    `${describeProbe(p)}: kernel ${delivered ? 'DELIVERED' : 'DROPPED'}, can-reach ${answer.verdict}`,
    `  query ${JSON.stringify(p.query)}`,
    ...answer.steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.stage}: ${stepText(s)}`),
  ].join('\n');
}

/** Sends every probe from its source instance's prober on one shared schedule; returns the markers each instance received. */
async function sendAll(probers: Map<string, Prober>, probes: Probe[]): Promise<Map<number, Set<string>>> {
  const start = Date.now() / 1000 + 0.5;
  const results = await Promise.all([...probers].map(([instance, prober]) =>
    prober.send(start, probes.flatMap((p, i) => (p.from.instance === instance ? [{ ...p.packet, at: i * GAP }] : [])))));
  const errors = results.flatMap((r) => r.errors);
  expect(errors, 'the probers could not send').toEqual([]);
  expect(results.reduce((s, r) => s + r.sent, 0)).toBe(probes.length);
  await sleep(SETTLE_MS);
  const seen = new Map<number, Set<string>>();
  for (const [instance, prober] of probers) {
    for (const id of await prober.collect()) {
      if (!seen.has(id)) seen.set(id, new Set());
      seen.get(id)!.add(instance);
    }
  }
  return seen;
}

async function runTopology(b: BackendUnderTest<IptablesNode>, index: number): Promise<Outcome> {
  const dice = new Dice(seededRandom(SEED + index * 7919));
  const plan = randomCloud(dice, index);
  for (const inst of plan.spec.instances) namespaces.add(instanceNamespace(inst.name));
  const hosts = [...new Set(plan.spec.instances.map((i) => i.host))];
  const server = await startServer(['--auth', 'trusted-headers', '--agents', 'on']);
  const client = await NeutronClient.connect(server.url);
  const probers = new Map<string, Prober>();
  try {
    const rules = await createGroups(client, plan);
    await labUp(plan.spec, client, () => {});
    const endpoints = await endpointsOf(client, plan);
    let cloud: Cloud;
    const store = new SqliteStore(server.db);
    try {
      await untilEnforced(b, store, hosts);
      cloud = buildCloud(await store.snapshot((tx) => fromStore(tx, store.name)));
    } finally {
      await store.close();
    }
    for (const e of endpoints) probers.set(e.instance, await Prober.start(e.ns, 'eth0', e.mac, e.ip));

    const planner = new ProbePlanner(dice, endpoints, hotPorts(plan.services, plan.groups.flatMap((g) => g.rules)), (index + 1) * 1_000_000);
    const probes = planProbes(planner, endpoints, plan);
    const seen = await sendAll(probers, probes);

    const outcome: Outcome = {
      topology: index, sent: probes.length, delivered: 0, allowed: 0, controls: 0, controlsDelivered: 0, bySource: {}, disagreements: [],
      shape: `${hosts.length} nodes, ${plan.spec.networks.length} networks, ${endpoints.length} instances, ${plan.groups.length} groups, ${rules} rules`,
    };
    for (const p of probes) {
      const delivered = seen.get(p.packet.id)?.has(p.to.instance) ?? false;
      const answer = canReach(cloud, p.query);
      outcome.delivered += Number(delivered);
      outcome.allowed += Number(answer.verdict === 'ALLOW');
      outcome.controls += Number(p.control);
      outcome.controlsDelivered += Number(p.control && delivered);
      const kind = (outcome.bySource[p.control ? 'control' : p.source] ??= [0, 0]);
      kind[0]++;
      kind[1] += Number(delivered);
      if (delivered !== (answer.verdict === 'ALLOW')) outcome.disagreements.push(disagreement(p, delivered, answer));
    }
    return outcome;
  } finally {
    for (const p of probers.values()) await p.stop();
    await labDown(plan.spec, client, () => {}).catch((e) => console.error(`topology ${index}: lab down: ${(e as Error).message}`));
    await server.stop();
  }
}

function report(o: Outcome): string {
  return `topology ${o.topology} (${o.shape}): ${o.sent} packets sent, ${o.delivered} delivered, ${o.allowed} allowed by can-reach, ` +
    `${o.disagreements.length} disagreements; delivered/sent by source address: ${Object.entries(o.bySource).map(([k, [n, d]]) => `${k} ${d}/${n}`).join(', ')}`;
}

function analyzerVsKernel(b: BackendUnderTest<IptablesNode>): void {
  describe(`${b.name}: analyzer vs dataplane (the kernel)`, () => {
    // an underlay of this test's own, apart from any other cloud on the machine (the server inherits it)
    process.env.PORTSEC_UNDERLAY = 'ps-ag-underlay';

    afterAll(async () => {
      await stopProbers();
      if (isRoot()) for (const ns of namespaces) deleteNamespace(ns);
    }, 120_000);

    for (let t = 0; t < TOPOLOGIES; t++) {
      test(`random topology ${t}: every probe's delivery is what can-reach says`, async () => {
        const o = await runTopology(b, t);
        outcomes.push(o);
        console.log(`${report(o)}  [PORTSEC_SEED=${SEED}]`);
        const shown = o.disagreements.slice(0, 20).join('\n');
        expect(o.controlsDelivered, `control packets lost: the harness lost packets for reasons other than policy (PORTSEC_SEED=${SEED})`).toBe(o.controls);
        expect(o.disagreements.length, `PORTSEC_SEED=${SEED}, topology ${t}: ${o.disagreements.length} disagreements, the first ones:\n${shown}`).toBe(0);
        // both outcomes occur: a harness that delivered everything (or nothing) could not disagree
        expect(o.delivered).toBeGreaterThan(o.controls);
        expect(o.delivered).toBeLessThan(o.sent);
      }, 300_000);
    }

    test('at least 10,000 probes in all, 100% agreement', () => {
      const total = (k: 'sent' | 'delivered' | 'allowed' | 'controls' | 'controlsDelivered') => outcomes.reduce((s, o) => s + o[k], 0);
      const disagreements = outcomes.reduce((s, o) => s + o.disagreements.length, 0);
      console.log(`PORTSEC_SEED=${SEED}: ${outcomes.length} topologies, ${total('sent')} packets sent (${total('controls')} controls), ${total('delivered')} delivered, ` +
        `${total('allowed')} allowed by can-reach, ${disagreements} disagreements`);
      expect(outcomes.length).toBe(TOPOLOGIES);
      expect(total('sent')).toBeGreaterThanOrEqual(10_000);
      expect(disagreements).toBe(0);
    });
  });
}

export const ANALYZER_VS_KERNEL: PlaneCase<IptablesNode> = { part: 'root', register: analyzerVsKernel };
