/**
 * can-reach under OVN's semantics beside iptables', one small cloud: what
 * differs, and the step that says why (test/backend-suite/planes/ovn-trace.ts checks the same
 * against real OVN on random flows).
 */
import { describe, expect, test } from 'vitest';
import { type ReachQuery } from '../src/analysis/answers.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { portExposure } from '../src/analysis/exposure.js';
import { canReach } from '../src/analysis/reach.js';
import { stepText } from '../src/analysis/report/explain.js';
import { type NeutronBackend } from '../src/policy/neutron-backends.js';
import { topologySnapshot } from './support/topology-snapshot.js';

const NET = 'net-1';
const snapshot = topologySnapshot({
  security_groups: [
    { id: 'web', name: 'web', security_group_rules: [
      { id: 'in-dccp', direction: 'ingress', ethertype: 'IPv4', protocol: 'dccp', port_range_min: 5000, port_range_max: 5000 },
      { id: 'in-web', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80 },
      { id: 'in-dhcp', direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 67, port_range_max: 67 },
      { id: 'out-any', direction: 'egress', ethertype: 'IPv4' },
      { id: 'out-any6', direction: 'egress', ethertype: 'IPv6' },
    ] },
    { id: 'quiet', name: 'quiet', security_group_rules: [] },
  ],
  ports: [
    { id: 'a', name: 'a', network_id: NET, mac_address: 'fa:16:3e:00:00:0a', fixed_ips: ['10.0.0.10', '2001:db8::a'], security_groups: ['web'],
      allowed_address_pairs: [{ ip_address: '10.0.0.5/24' }] },
    { id: 'b', name: 'b', network_id: NET, mac_address: 'fa:16:3e:00:00:0b', fixed_ips: ['10.0.0.11', '2001:db8::b'], security_groups: ['web'] },
    { id: 'q', name: 'q', network_id: NET, mac_address: 'fa:16:3e:00:00:0c', fixed_ips: ['10.0.0.12'], security_groups: ['quiet'] },
  ],
}, 'a small cloud');

const clouds = { iptables: buildCloud(snapshot), ovn: buildCloud(snapshot, { backend: 'ovn' }) };
const reach = (backend: NeutronBackend & keyof typeof clouds, q: Partial<ReachQuery>) =>
  canReach(clouds[backend], { src: 'a', dst: 'b', protocol: 'tcp', port: 80, ...q });
const verdicts = (q: Partial<ReachQuery>) => [reach('iptables', q).verdict, reach('ovn', q).verdict];

describe('can-reach --backend ovn', () => {
  test('a unicast frame to an address the port does not hold is dropped on delivery: a typed step and the change', () => {
    expect(verdicts({ destinationIp: '10.0.0.99' })).toEqual(['ALLOW', 'DENY']);
    const answer = reach('ovn', { destinationIp: '10.0.0.99' });
    expect(answer.steps.at(-1)).toMatchObject({ stage: 'delivery', ok: false, port: { id: 'b' }, destination: '10.0.0.99' });
    expect(stepText(answer.steps.at(-1)!)).toBe("port security on b drops destination 10.0.0.99: neither a fixed IP nor an allowed-address-pair of the port (with the frame's MAC) holds it");
    expect(answer.changes).toContainEqual({ why: 'let b receive traffic to 10.0.0.99', command: 'openstack port set --allowed-address ip-address=10.0.0.99 b' });
    // its own address, broadcast and multicast are delivered, each step saying how
    expect(reach('ovn', {}).steps.at(-1)).toMatchObject({ stage: 'delivery', ok: true, entry: { address: '10.0.0.11', via: 'fixed-ip' } });
    expect(reach('ovn', { destinationIp: '255.255.255.255' }).steps.at(-1)).toMatchObject({ stage: 'delivery', ok: true, group: 'broadcast' });
    expect(reach('ovn', { destinationIp: '224.0.0.18' }).steps.at(-1)).toMatchObject({ stage: 'delivery', ok: true, group: 'multicast' });
    expect(reach('iptables', {}).steps.some((s) => s.stage === 'delivery')).toBe(false);
  });

  test('a pair with host bits set stands for its address alone', () => {
    expect(verdicts({ sourceIp: '10.0.0.5' })).toEqual(['ALLOW', 'ALLOW']);
    expect(verdicts({ sourceIp: '10.0.0.9' })).toEqual(['ALLOW', 'DENY']);
    expect(reach('ovn', { sourceIp: '10.0.0.9' }).steps).toContainEqual(expect.objectContaining({ stage: 'spoof', ok: false }));
  });

  test('DCCP rules match every port; DHCP requests need an egress rule; router advertisements pass', () => {
    expect(verdicts({ protocol: 'dccp', port: 6000 })).toEqual(['DENY', 'ALLOW']);
    // and exposure says so
    const dccp = (backend: keyof typeof clouds) => portExposure(clouds[backend], clouds[backend].ports.get('b')!).find((r) => r.protocol === 'dccp')?.ports;
    expect([dccp('iptables'), dccp('ovn')]).toEqual(['5000', 'any']);
    // q has no egress rule: iptables lets its DHCP request out before the rules (b admits udp/67), OVN's ACLs drop it
    const dhcp: Partial<ReachQuery> = { src: 'q', protocol: 'udp', port: 67, sourcePort: 68, destinationIp: '255.255.255.255' };
    expect(verdicts(dhcp)).toEqual(['ALLOW', 'DENY']);
    expect(reach('ovn', dhcp).steps).toContainEqual(expect.objectContaining({ stage: 'egress', ok: false, by: 'no-rule' }));
    // an instance's router advertisement: iptables drops it, OVN lets nd_ra through both ways
    const ra: Partial<ReachQuery> = { protocol: 'ipv6-icmp', port: 134, sourcePort: 0, destinationIp: 'ff02::1', sourceIp: '2001:db8::a' };
    expect(verdicts(ra)).toEqual(['DENY', 'ALLOW']);
    expect(reach('ovn', ra).steps.find((s) => s.stage === 'ingress')).toMatchObject({ by: 'fixed', verdict: 'accept' });
  });
});
