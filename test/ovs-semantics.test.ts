/**
 * can-reach under the openvswitch backend where the OVS firewall differs from
 * Neutron's iptables drivers (policy/neutron-backends.ts), one hand-made cloud
 * per difference, each asked under both backends. What the answers must be
 * was measured on real Open vSwitch with Neutron's own flows
 * (test/backend-suite/planes/ovs-trace.ts); this test keeps them without it.
 */
import { describe, expect, test } from 'vitest';
import { type ReachQuery } from '../src/analysis/answers.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { canReach } from '../src/analysis/reach.js';
import { stepText } from '../src/analysis/report/explain.js';
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../src/analysis/snapshot.js';
import { type NeutronBackend } from '../src/policy/neutron-backends.js';

const NET = 'net-1';

function port(n: number, fixed: string[], groups: string[], pairs: string[] = [], host = 'cn1'): SnapshotPort {
  return {
    id: `p${n}`, name: `p${n}`, project_id: 'p', network_id: NET, mac_address: `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`,
    device_owner: 'compute:nova', device_id: `vm${n}`, 'binding:host_id': host,
    fixed_ips: fixed.map((ip_address) => ({ subnet_id: 's', ip_address })),
    allowed_address_pairs: pairs.map((ip_address) => ({ ip_address })), security_groups: groups,
  };
}

const rule = (id: string, group: string, r: Partial<SnapshotRule>): SnapshotRule => ({
  id, security_group_id: group, direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null,
  remote_ip_prefix: null, remote_group_id: null, ...r,
});

const snapshot = (ports: SnapshotPort[], rules: SnapshotRule[]): Snapshot => ({
  source: 'test', networks: [{ id: NET, name: 'net', project_id: 'p' }], subnets: [], ports,
  security_groups: [...new Set(rules.map((r) => r.security_group_id))].map((id) => ({ id, name: id, project_id: 'p' })), security_group_rules: rules,
});

/** The verdict under iptables and under openvswitch. */
const verdicts = (s: Snapshot, q: ReachQuery) => (['iptables', 'openvswitch'] as NeutronBackend[]).map((backend) => canReach(buildCloud(s, { backend }), q).verdict);

/** every group lets everything out, both families */
const egressAll = (g: string) => [rule(`${g}-out4`, g, { direction: 'egress' }), rule(`${g}-out6`, g, { direction: 'egress', ethertype: 'IPv6' })];

describe('openvswitch firewall semantics in can-reach', () => {
  test('a port without fixed IPs sends from its pairs only, not from any address with its MAC', () => {
    const s = snapshot([port(1, [], ['a'], ['10.0.0.99']), port(2, ['10.0.0.2'], ['b'])], [...egressAll('a'), rule('in', 'b', {})]);
    expect(verdicts(s, { src: 'p1', dst: '10.0.0.2', protocol: 'tcp', port: 80, sourceIp: '10.0.0.50' })).toEqual(['ALLOW', 'DENY']);
    expect(verdicts(s, { src: 'p1', dst: '10.0.0.2', protocol: 'tcp', port: 80, sourceIp: '10.0.0.99' })).toEqual(['ALLOW', 'ALLOW']);
  });

  test('ICMPv6 meets the egress rules; MLD and neighbour solicitations are switched past a same-node destination\'s ingress rules', () => {
    const ports = [port(1, ['2001:db8::1'], ['a']), port(2, ['2001:db8::2'], ['b']), port(3, ['2001:db8::3'], ['b'], [], 'cn2')];
    const noEgress = snapshot(ports, [rule('in', 'b', { ethertype: 'IPv6' }), rule('a-in', 'a', {})]);
    expect(verdicts(noEgress, { src: 'p1', dst: '2001:db8::2', protocol: 'ipv6-icmp', port: 128, sourcePort: 0 })).toEqual(['ALLOW', 'DENY']);
    // a router solicitation: no ingress rule at p2 or p3, which only the same node's switching passes
    const closed = snapshot(ports, [rule('a-in', 'a', {}), rule('b-in', 'b', { ethertype: 'IPv6', protocol: 'tcp' })]);
    expect(verdicts(closed, { src: 'p1', dst: '2001:db8::2', protocol: 'ipv6-icmp', port: 133, sourcePort: 0 })).toEqual(['DENY', 'ALLOW']);
    expect(verdicts(closed, { src: 'p1', dst: '2001:db8::3', protocol: 'ipv6-icmp', port: 133, sourcePort: 0 })).toEqual(['DENY', 'DENY']);
    // a neighbour advertisement of its own address is switched too; with a code other than 0 OVS reads no target, so the egress rules decide
    expect(verdicts(closed, { src: 'p1', dst: '2001:db8::2', protocol: 'ipv6-icmp', port: 136, sourcePort: 0 })).toEqual(['ALLOW', 'ALLOW']);
    expect(verdicts(closed, { src: 'p1', dst: '2001:db8::2', protocol: 'ipv6-icmp', port: 136, sourcePort: 1 })).toEqual(['ALLOW', 'DENY']);
  });

  test('a dccp port range is dropped: the rule takes every port', () => {
    const s = snapshot([port(1, ['10.0.0.1'], ['a']), port(2, ['10.0.0.2'], ['b'])], [...egressAll('a'), rule('in', 'b', { protocol: 'dccp', port_range_min: 100, port_range_max: 200 })]);
    expect(verdicts(s, { src: 'p1', dst: '10.0.0.2', protocol: 'dccp', port: 999, sourcePort: 5000 })).toEqual(['DENY', 'ALLOW']);
    expect(verdicts(s, { src: 'p1', dst: '10.0.0.2', protocol: 'dccp', port: 150, sourcePort: 5000 })).toEqual(['ALLOW', 'ALLOW']);
  });

  test('an exact /0 member is shared by every remote group with one that the network\'s rules name', () => {
    // p1 (group g1) and p2 (group g2) each hold 0.0.0.0/0; p3 admits g1 only; p4 admits g2, or nothing
    const ports = [port(1, ['10.0.0.1'], ['g1'], ['0.0.0.0/0']), port(2, ['10.0.0.2'], ['g2'], ['0.0.0.0/0']), port(3, ['10.0.0.3'], ['d']), port(4, ['10.0.0.4'], ['e'])];
    const q: ReachQuery = { src: 'p2', dst: '10.0.0.3', protocol: 'tcp', port: 80, sourcePort: 5000, sourceIp: '198.51.100.7' };
    const base = [...egressAll('g1'), ...egressAll('g2'), rule('d-in', 'd', { remote_group_id: 'g1' })];
    expect(verdicts(snapshot(ports, [...base, rule('e-in', 'e', { protocol: 'udp' })]), q)).toEqual(['ALLOW', 'DENY']);
    const shared = snapshot(ports, [...base, rule('e-in', 'e', { remote_group_id: 'g2' })]);
    expect(verdicts(shared, q)).toEqual(['ALLOW', 'ALLOW']);
    const ingress = canReach(buildCloud(shared, { backend: 'openvswitch' }), q).steps.find((x) => x.stage === 'ingress');
    expect(ingress && stepText(ingress)).toBe('p3 ingress allows it: IPv4 any protocol from remote group g1 (rule d-in of group d); source 198.51.100.7 matches group g1 '
      + "through p2's allowed-address-pair 0.0.0.0/0 of another group, shared with every group holding one (only from MAC fa:16:3e:00:00:02)");
  });
});
