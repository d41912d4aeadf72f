/** Bad compiler input gets a clear error that names the object, before anything is rendered. */
import { expect, test } from 'vitest';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { parseEvent } from '../src/policy/events.js';
import { parseTopology, TopologyError } from '../src/policy/topology.js';

const group = (id: string, extra: Record<string, unknown> = {}) => ({ id, security_group_rules: [], ...extra });
const port = (id: string, extra: Record<string, unknown> = {}) => ({ id, mac_address: 'fa:16:3e:00:00:01', fixed_ips: ['10.0.0.5'], ...extra });
const compile = (input: Record<string, unknown>) => () => new NodeCompiler(parseTopology(input));

test.each([
  ['an unknown remote group', { security_groups: [group('g1', { security_group_rules: [{ id: 'r1', direction: 'ingress', remote_group_id: 'g9' }] })] },
    'security group g1 rule r1: unknown remote group g9'],
  ['an unknown group on a port', { ports: [port('p1', { security_groups: ['g9'] })] }, 'port p1: unknown security group g9'],
  ['a bad CIDR', { security_groups: [group('g1', { security_group_rules: [{ id: 'r1', direction: 'ingress', remote_ip_prefix: '10.0.0.0/40' }] })] },
    'security group g1 rule r1: Invalid CIDR 10.0.0.0/40 given as IP prefix.'],
  ['a bad MAC', { ports: [port('p1', { mac_address: 'fa:16:3e:zz:00:01' })] }, 'port p1: invalid MAC "fa:16:3e:zz:00:01"'],
  ['a bad pair', { ports: [port('p1', { allowed_address_pairs: [{ ip_address: '10.0.0.300' }] })] }, 'port p1: invalid allowed address pair'],
  ['a rule Neutron refuses', { security_groups: [group('g1', { security_group_rules: [{ id: 'r1', direction: 'ingress', protocol: 'tcp', port_range_min: 90, port_range_max: 80 }] })] },
    'security group g1 rule r1: For TCP/UDP protocols, port_range_min must be <= port_range_max'],
  ['stateful and stateless groups on one port', { security_groups: [group('g1'), group('g2', { stateful: false })], ports: [port('p1', { security_groups: ['g1', 'g2'] })] },
    'port p1: stateful and stateless security groups on one port'],
  ['pairs with port security off', { ports: [port('p1', { port_security_enabled: false, allowed_address_pairs: [{ ip_address: '10.0.0.9' }] })] },
    'port p1: security groups or address pairs on a port with port security disabled'],
  ['colliding chain names', { options: { driver: 'ovs_hybrid' }, ports: [port('aaaaaaaaaa-1'), port('aaaaaaaaaa-2', { mac_address: 'fa:16:3e:00:00:02' })] },
    "port aaaaaaaaaa-2: its iptables chain names collide with port aaaaaaaaaa-1's"],
  ['colliding tap names', { ports: [port('aaaaaaaaaaa1'), port('aaaaaaaaaaa2')] }, "port aaaaaaaaaaa2: its device tapaaaaaaaaaaa collides with port aaaaaaaaaaa1's"],
  ['colliding ipset names', { security_groups: [group('000000000000000000000000-a'), group('000000000000000000000000-b')] },
    "security group 000000000000000000000000-b: its ipset name collides with security group 000000000000000000000000-a's"],
])('%s', (_, input, message) => {
  expect(compile(input)).toThrow(TopologyError);
  expect(compile(input)).toThrow(message);
});

test('a change that would collide is refused and leaves the node as it was', () => {
  const topology = parseTopology({ options: { driver: 'ovs_hybrid' }, ports: [port('aaaaaaaaaa-1')] });
  const node = new NodeCompiler(topology);
  const before = node.state;
  const e = parseEvent(topology, { op: 'add_port', port: port('aaaaaaaaaa-2', { mac_address: 'fa:16:3e:00:00:02' }) });
  expect(() => node.apply(e)).toThrow("port aaaaaaaaaa-2: its iptables chain names collide with port aaaaaaaaaa-1's");
  expect(node.state).toEqual(before);
});
