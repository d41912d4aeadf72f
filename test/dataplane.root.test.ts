/**
 * The compiled policy enforced on a real compute node: a ps- namespace with a
 * bridge and br_netfilter, two instances joined by veth taps, the full state
 * converged once and then only deltas. Real TCP packets show anti-spoofing and
 * allowed address pairs at work (the seed's first scenario).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { createComputeNode, plugInstance, removeComputeNode, removeInstance } from '../src/dataplane/compute-node.js';
import { run } from '../src/dataplane/exec.js';
import { closeNode, nodeDelta, nodeState } from '../src/dataplane/iptables/fail-closed.js';
import { applyDelta, converge } from '../src/dataplane/iptables/kernel.js';
import { applyEvent, type Event, parseEvent } from '../src/policy/events.js';
import { parseTopology, type Topology } from '../src/policy/topology.js';
import { isRoot } from './support/netns.js';
import { connect, serve, stopServers } from './support/probes.js';

const HOST = `dp${process.pid}`;
const NET = '6f1e0c5a-3b2d-4e8f-a1c9-7d5b3e2f1a0c';
const WEB = 'a1b2c3d4-0001-4000-8000-000000000080';
const portA = { id: 'c0ffee11-aaaa-4a00-8000-00000000000a', network_id: NET, mac_address: 'fa:16:3e:00:00:11', fixed_ips: ['10.1.1.11'], security_groups: [WEB], allowed_address_pairs: [] as object[] };
const portB = { ...portA, id: 'c0ffee12-aaaa-4a00-8000-00000000000b', mac_address: 'fa:16:3e:00:00:12', fixed_ips: ['10.1.1.12'] };
const names = { a: `${HOST}-a`, b: `${HOST}-b` };

let topology: Topology;
let node: NodeCompiler;
let cn: string;
let vmA: string;
let vmB: string;

function change(raw: Event): void {
  const e = parseEvent(topology, raw);
  topology = applyEvent(topology, e);
  applyDelta(cn, 'nft', nodeDelta(node.apply(e)));
}

beforeAll(async () => {
  if (!isRoot()) return;
  topology = parseTopology({
    options: { driver: 'linuxbridge', enable_ipset: true },
    security_groups: [{ id: WEB, name: 'web', security_group_rules: [
      { id: 'web-8080', direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_ip_prefix: '10.1.1.0/24' },
      { id: 'web-egress', direction: 'egress' },
    ] }],
    ports: [portA, portB],
  });
  node = new NodeCompiler(topology);
  cn = createComputeNode(HOST);
  closeNode(cn, 'nft');
  vmA = plugInstance(cn, names.a, { ...portA, addresses: ['10.1.1.11/24'] });
  vmB = plugInstance(cn, names.b, { ...portB, addresses: ['10.1.1.12/24'] });
  converge(cn, 'nft', nodeState(node.state));
  await serve(vmB, 8080);
});

afterAll(async () => {
  if (!isRoot()) return;
  await stopServers();
  for (const n of Object.values(names)) removeInstance(n);
  removeComputeNode(HOST);
});

test('anti-spoofing drops a secondary address until it is an allowed address pair', () => {
  expect(connect(vmA, '10.1.1.12', 8080)).toBe('peer=10.1.1.11');
  run(['ip', 'addr', 'add', '10.1.1.2/24', 'dev', 'eth0'], { ns: vmA });
  expect(connect(vmA, '10.1.1.12', 8080, '10.1.1.2')).toBe('timeout');
  change({ op: 'update_port', port: { ...portA, allowed_address_pairs: [{ ip_address: '10.1.1.2' }] } });
  expect(connect(vmA, '10.1.1.12', 8080, '10.1.1.2')).toBe('peer=10.1.1.2');
  change({ op: 'update_port', port: { ...portA, allowed_address_pairs: [] } });
  expect(connect(vmA, '10.1.1.12', 8080, '10.1.1.2')).toBe('timeout');
  // and the port's own address is untouched throughout
  expect(connect(vmA, '10.1.1.12', 8080)).toBe('peer=10.1.1.11');
});

test('an ingress rule admits its prefix only; the fallback drops the rest', () => {
  expect(connect(vmB, '10.1.1.11', 22, undefined, 800)).toBe('timeout');
});
