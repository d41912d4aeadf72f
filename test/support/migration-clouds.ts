/**
 * The clouds the diff oracles run (test/diff-ovs.test.ts, test/diff-ovn.test.ts), as compiler
 * topologies (what `portsec compile` reads; test/support/topology-snapshot.ts gives the analyzer's
 * view of the same cloud), every port on one network and one node.
 */
export const HOST = 'cn1';
const NET = 'net-1';

const rule = (id: string, r: Record<string, unknown>) => ({
  id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, ...r,
});
const egress = (g: string) => rule(`out-${g}`, { direction: 'egress', protocol: null });
const port = (id: string, n: number, ip: string, groups: string[], extra: Record<string, unknown> = {}) => ({
  id, network_id: NET, mac_address: `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`, fixed_ips: [{ ip_address: ip, subnet_id: 'sub-1' }], security_groups: groups,
  allowed_address_pairs: [], port_security_enabled: true, device_owner: 'compute:nova', 'binding:host_id': HOST, ...extra,
});
const pairs = (ips: string[]) => ({ allowed_address_pairs: ips.map((ip_address) => ({ ip_address })) });

/**
 * The seed: the NAT server in ssh with its pair(s), proxy open on tcp/80 to remote group ssh, a port
 * without port security, a VIP held by lb, a port in another group; `driver` the firewall it runs.
 */
export function seedCloud(natPairs: string[], driver: string) {
  return {
    options: { host: HOST, driver },
    security_groups: [
      { id: 'ssh', name: 'ssh', security_group_rules: [egress('ssh'), rule('to-ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' })] },
      { id: 'proxy', name: 'proxy', security_group_rules: [egress('proxy'), rule('web', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' })] },
      { id: 'web', name: 'web', security_group_rules: [egress('web')] },
    ],
    ports: [
      port('nat', 1, '10.10.10.10', ['ssh'], pairs(natPairs)),
      port('int', 2, '10.10.10.20', ['ssh']),
      port('proxy', 3, '10.10.10.30', ['proxy']),
      port('open', 4, '10.10.10.40', [], { port_security_enabled: false }),
      port('lb', 5, '10.10.10.50', ['ssh'], pairs(['10.10.10.100'])),
      port('web', 6, '10.10.10.70', ['web']),
    ],
  };
}

/**
 * keepalived: ka1 and ka2 in vrrp hold the VIP 10.10.10.2 as a pair and speak VRRP to each other;
 * web admits tcp/80 from remote group vrrp; client may send only tcp/443, to remote group vrrp.
 */
export function vipCloud(driver: string) {
  return {
    options: { host: HOST, driver },
    security_groups: [
      { id: 'vrrp', name: 'vrrp', security_group_rules: [egress('vrrp'), rule('vrrp-in', { protocol: 'vrrp', remote_group_id: 'vrrp' }),
        rule('https-in', { port_range_min: 443, port_range_max: 443, remote_ip_prefix: '10.10.10.0/24' })] },
      { id: 'web', name: 'web', security_group_rules: [egress('web'), rule('web-in', { port_range_min: 80, port_range_max: 80, remote_group_id: 'vrrp' })] },
      { id: 'client', name: 'client', security_group_rules: [rule('client-out', { direction: 'egress', port_range_min: 443, port_range_max: 443, remote_group_id: 'vrrp' })] },
    ],
    ports: [
      port('ka1', 1, '10.10.10.11', ['vrrp'], pairs(['10.10.10.2'])),
      port('ka2', 2, '10.10.10.12', ['vrrp'], pairs(['10.10.10.2'])),
      port('web', 3, '10.10.10.30', ['web']),
      port('client', 4, '10.10.10.60', ['client']),
    ],
  };
}
