/**
 * portsec diff against real Open vSwitch (issue 14, acceptance 4, the
 * openvswitch side): the seed with the NAT server's exact /0 pair and with its
 * /1 split, on one compute node, its br-int flows as `portsec compile --driver
 * openvswitch` renders them (equal to Neutron's OVSFirewallDriver on the golden
 * fixtures) loaded into a real ovs-vswitchd (dummy datapath, no root); every
 * flow class `diff --backend iptables_hybrid --to-backend openvswitch` lists,
 * and every class of the reverse, is traced with `ofproto/trace --ct-next` from
 * its flow, and from a random source of each of its CIDRs: delivered exactly
 * when the row says openvswitch ALLOWs it. Flows no move changes (nat's own
 * forwarded traffic, int's) show the bridge delivers what openvswitch admits.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DiffRow, type ReachQuery } from '../src/analysis/answers.js';
import { buildCloud, type Cloud } from '../src/analysis/cloud.js';
import { diff } from '../src/analysis/diff.js';
import { canReach } from '../src/analysis/reach.js';
import { intervalOf } from '../src/analysis/ranges.js';
import { BACKENDS } from '../src/backends/index.js';
import { type OvsNode } from '../src/backends/openvswitch/backend.js';
import { formatIp } from '../src/model/addresses.js';
import { seededRandom } from '../src/model/random.js';
import { parseTopology } from '../src/policy/topology.js';
import { harnessNumbering, loadBridge, type LocalPort, tracedOutputs } from './support/ovs-bridge.js';
import { type OvsSwitch, startOvs } from './support/ovs-switch.js';
import { seedCloud } from './support/migration-clouds.js';
import { topologySnapshot } from './support/topology-snapshot.js';

/** The flow ofproto/trace takes for a can-reach query from a port on this node (tcp with an ephemeral source port). */
function ovsFlow(q: ReachQuery, local: Map<string, LocalPort>, macOf: (id: string) => string, dstPort: string): string {
  const from = local.get(q.src)!;
  expect(q.protocol).toBe('tcp');
  return `ip,nw_src=${q.sourceIp},nw_dst=${q.dst},in_port=${from.ofport},dl_src=${macOf(q.src)},dl_dst=${macOf(dstPort)},nw_proto=6,tcp_src=40000,tcp_dst=${q.port}`;
}

describe('portsec diff against ofproto/trace on real Open vSwitch', () => {
  let ovs: OvsSwitch | undefined;
  beforeAll(async () => {
    ovs = await startOvs();
  });
  afterAll(async () => {
    await ovs?.stop();
  });

  test('the seed, /0 and /1 split, both directions: every listed class\'s flows are delivered exactly when the row says openvswitch allows them', async () => {
    const random = seededRandom(14);
    let traced = 0;
    let rows = 0;
    let delivered = 0;
    for (const pairs of [['0.0.0.0/0'], ['0.0.0.0/1', '128.0.0.0/1']]) {
      const input = seedCloud(pairs, 'openvswitch');
      const topology = parseTopology(input);
      const node = BACKENDS.openvswitch.create(topology) as OvsNode;
      const numbers = harnessNumbering(input);
      const local = new Map(topology.ports.filter((p) => p.local).map((port) => [port.id, { port, ...numbers.get(port.id)! }]));
      const datapath = await loadBridge(ovs!, [...local.values()], node.state.flows);
      const snapshot = topologySnapshot(input, 'seed');
      const macOf = (id: string) => snapshot.ports.find((p) => p.id === id)!.mac_address;
      const trace = async (q: ReachQuery, dstPort: string) => {
        const out = await ovs!.unixctl.call('ofproto/trace', ['br-int', ovsFlow(q, local, macOf, dstPort), '--ct-next', 'trk,new', '--ct-next', 'trk,new']);
        const yes = tracedOutputs(out).has(datapath.get(local.get(dstPort)!.ofport)!);
        traced++;
        delivered += Number(yes);
        return yes;
      };
      // the harness delivers what openvswitch admits: nat's own forwarded traffic and int's, which no move changes
      const ovsCloud: Cloud = buildCloud(snapshot, { backend: 'openvswitch' });
      for (const q of [{ src: 'nat', sourceIp: '203.0.113.9' }, { src: 'int', sourceIp: '10.10.10.20' }, { src: 'web', sourceIp: '10.10.10.70' }]) {
        const flow = { ...q, dst: '10.10.10.30', protocol: 'tcp', port: 80 };
        expect(await trace(flow, 'proxy'), JSON.stringify(flow)).toBe(canReach(ovsCloud, flow).verdict === 'ALLOW');
      }
      const listed: [DiffRow, 'from' | 'to'][] = [
        ...diff(buildCloud(snapshot, { backend: 'iptables_hybrid' }), buildCloud(snapshot, { backend: 'openvswitch' })).map((r): [DiffRow, 'to'] => [r, 'to']),
        ...diff(buildCloud(snapshot, { backend: 'openvswitch' }), buildCloud(snapshot, { backend: 'iptables_hybrid' })).map((r): [DiffRow, 'from'] => [r, 'from']),
      ];
      // the exact /0 changes flows (from frames not nat's own); the split none
      expect(listed.length > 0, pairs.join(' ')).toBe(pairs.length === 1);
      rows += listed.length;
      for (const [row, side] of listed) {
        const dstPort = row.destination.ports[0].id;
        const flows = [row.flow, ...row.sources.map((cidr) => {
          const { family, interval: [lo, hi] } = intervalOf(cidr);
          return { ...row.flow, sourceIp: formatIp(family, lo + BigInt(Math.floor(random() * Number(hi - lo + 1n)))) };
        })];
        for (const q of flows) expect(await trace(q, dstPort), `${JSON.stringify(q)}: the row says openvswitch ${row[side].verdict}`).toBe(row[side].verdict === 'ALLOW');
      }
    }
    console.log(`portsec diff vs ofproto/trace: ${rows} rows, ${traced} flows traced (${delivered} delivered), all agree`);
    expect(rows).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(0);
  }, 120_000);
});
