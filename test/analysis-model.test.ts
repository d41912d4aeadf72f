/**
 * One model for every answer: the audit reads the IR that exposure, can-reach
 * and the compiler read, so it never reports what they contradict.
 */
import { describe, expect, test } from 'vitest';
import { audit } from '../src/analysis/audit/index.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { exposure } from '../src/analysis/exposure.js';
import { fixedEgress, fixedIngress } from '../src/analysis/fixed-rules.js';
import { type Packet, parseAddress, portAdmits } from '../src/analysis/packet.js';
import { canReach } from '../src/analysis/reach.js';
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../src/analysis/snapshot.js';

const NET = 'net-1';
let macs = 0;

function port(id: string, fixed: string[], groups: string[], pairs: string[] = []): SnapshotPort {
  return {
    id, name: id, project_id: 'p', network_id: NET, mac_address: `fa:16:3e:00:${(++macs).toString(16).padStart(4, '0').replace(/(..)(..)/, '$1:$2')}`,
    device_owner: 'compute:nova', device_id: `vm-${id}`,
    fixed_ips: fixed.map((ip_address) => ({ subnet_id: 'sub-1', ip_address })),
    allowed_address_pairs: pairs.map((ip_address) => ({ ip_address })), security_groups: groups,
  };
}

function rule(id: string, group: string, r: Partial<SnapshotRule>): SnapshotRule {
  return {
    id, security_group_id: group, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: null, port_range_max: null,
    remote_ip_prefix: null, remote_group_id: null, ...r,
  };
}

function snapshot(ports: SnapshotPort[], groups: string[], rules: SnapshotRule[]): Snapshot {
  return {
    source: 'test', networks: [{ id: NET, name: 'priv', project_id: 'p' }],
    subnets: [{ id: 'sub-1', name: 'priv', network_id: NET, ip_version: 4, cidr: '10.10.10.0/24', gateway_ip: '10.10.10.1' }],
    ports, security_groups: groups.map((id) => ({ id, name: id, project_id: 'p' })), security_group_rules: rules,
  };
}

describe('the seed pitfall on a port without fixed IPs', () => {
  // Neutron's server hands over no member for a port without fixed IPs: its 0.0.0.0/0 pair opens nothing
  const s = snapshot([
    port('nat', [], ['ssh'], ['0.0.0.0/0']),
    port('int', ['10.10.10.20'], ['ssh']),
    port('proxy', ['10.10.10.30'], ['proxy']),
  ], ['ssh', 'proxy'], [
    rule('out', 'ssh', { direction: 'egress', protocol: null }),
    rule('to-ssh', 'ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
    rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
    rule('admin', 'proxy', { port_range_min: 22, port_range_max: 22, remote_group_id: 'ssh' }),
  ]);

  test('exposure and can-reach: ssh stands for the other member only', () => {
    const cloud = buildCloud(s);
    expect(exposure(cloud, [cloud.ports.get('proxy')!]).map((r) => [r.ports, r.sources])).toEqual([['80', ['10.10.10.20/32']], ['22', ['10.10.10.20/32']]]);
    expect(canReach(cloud, { src: '200.200.200.200', dst: 'proxy', protocol: 'tcp', port: 80 }).verdict).toBe('DENY');
  });

  test('the audit agrees: no wide-pair finding, no admin port open to the world, nothing critical', () => {
    const findings = audit(buildCloud(s));
    expect(findings.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
    expect(findings.map((f) => f.check)).not.toContain('admin-port-open-to-world');
  });

  test('with the OVS agent\'s cache (pairs of ports without fixed IPs are members) all three answers see the pair', () => {
    const cloud = buildCloud(s, { sgInfoSource: 'agent_shim' });
    expect(exposure(cloud, [cloud.ports.get('proxy')!]).map((r) => r.sources)).toEqual([['0.0.0.0/0'], ['0.0.0.0/0']]);
    expect(canReach(cloud, { src: '200.200.200.200', dst: 'proxy', protocol: 'tcp', port: 80 }).verdict).toBe('ALLOW');
    const checks = audit(cloud).filter((f) => f.severity === 'critical').map((f) => f.check);
    expect(checks).toContain('wide-pair-in-remote-group');
    expect(checks).toContain('admin-port-open-to-world');
  });
});

describe('the driver\'s fixed lines, as can-reach follows them', () => {
  const packet = (family: 'IPv4' | 'IPv6', src: string, dst: string, protocol: string, dport: number | null, sport: number | null = null): Packet =>
    ({ family, src: parseAddress(src)!.value, dst: parseAddress(dst)!.value, protocol, dport, sport });

  test('DHCP and DAD before anti-spoofing, DHCP-server replies and router advertisements dropped, ICMPv6 out, NDP in', () => {
    expect(fixedEgress(packet('IPv4', '0.0.0.0', '255.255.255.255', 'udp', 67, 68))?.verdict).toBe('accept-before-spoof');
    expect(fixedEgress(packet('IPv4', '10.0.0.5', '10.0.0.2', 'udp', 67, 68))).toEqual({ verdict: 'accept', why: 'DHCP client request' });
    expect(fixedEgress(packet('IPv4', '10.0.0.5', '10.0.0.9', 'udp', 68, 67))?.verdict).toBe('drop');
    expect(fixedEgress(packet('IPv4', '10.0.0.5', '10.0.0.9', 'tcp', 67, 68))).toBeUndefined();
    expect(fixedEgress(packet('IPv6', '::', 'ff02::1:ff00:10', 'ipv6-icmp', 135, 0))?.verdict).toBe('accept-before-spoof');
    expect(fixedEgress(packet('IPv6', '::', 'fd00::1', 'ipv6-icmp', 135, 0))?.verdict).toBe('accept');
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'ff02::1', 'ipv6-icmp', 134, 0))).toEqual({ verdict: 'drop', why: 'instances may not send router advertisements' });
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'fd00::1', 'ipv6-icmp', 128, 0))?.verdict).toBe('accept');
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'ff02::1:2', 'udp', 547, 546))?.verdict).toBe('accept');
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'fd00::2', 'udp', 546, 547))?.verdict).toBe('drop');
    expect(fixedIngress(packet('IPv6', 'fd00::1', 'fd00::10', 'ipv6-icmp', 135, 0))).toBe(true);
    expect(fixedIngress(packet('IPv6', 'fd00::1', 'fd00::10', 'ipv6-icmp', 128, 0))).toBe(false);
    expect(fixedIngress(packet('IPv4', '10.0.0.1', '10.0.0.5', 'icmp', 8, 0))).toBe(false);
  });

  test('a port with an IPv6 address and no ingress rule admits router advertisements only, as its chain does', () => {
    const s = snapshot([port('a', ['fd00::10'], ['none']), port('b', ['fd00::20'], ['open'])], ['none', 'open'], [
      rule('out', 'open', { direction: 'egress', ethertype: 'IPv6', protocol: null }),
    ]);
    const cloud = buildCloud(s);
    expect(canReach(cloud, { src: 'b', dst: 'a', protocol: 'ipv6-icmp', port: 128 }).verdict).toBe('DENY');
    const pp = cloud.policy('a');
    const ra = packet('IPv6', 'fe80::1', 'ff02::1', 'ipv6-icmp', 134, 0);
    expect(portAdmits(pp, 'ingress', ra, cloud.members, false)).toBe(true);
    expect(portAdmits(pp, 'ingress', { ...ra, dport: 128 }, cloud.members, false)).toBe(false);
  });
});
