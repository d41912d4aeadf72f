/**
 * Small analyzer snapshots written by hand: every port on one network (`net-1`, subnet
 * 10.10.10.0/24), each port a MAC of its own (fa:16:3e:00:00:01, …: numbered per test file).
 */
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../../src/analysis/snapshot.js';

export const NET = 'net-1';
let macs = 0;

export function port(id: string, fixed: string[], groups: string[], pairs: string[] = [], extra: Partial<SnapshotPort> = {}): SnapshotPort {
  return {
    id, name: id, project_id: 'p', network_id: NET, mac_address: `fa:16:3e:00:${(++macs).toString(16).padStart(4, '0').replace(/(..)(..)/, '$1:$2')}`,
    device_owner: 'compute:nova', device_id: `vm-${id}`, fixed_ips: fixed.map((ip_address) => ({ subnet_id: 'sub-1', ip_address })),
    allowed_address_pairs: pairs.map((ip_address) => ({ ip_address })), security_groups: groups, ...extra,
  };
}

/** an ingress tcp rule from anywhere, unless `r` says otherwise */
export function rule(id: string, group: string, r: Partial<SnapshotRule>): SnapshotRule {
  return {
    id, security_group_id: group, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: null, port_range_max: null,
    remote_ip_prefix: null, remote_group_id: null, ...r,
  };
}

export function snapshot(ports: SnapshotPort[], groups: string[], rules: SnapshotRule[]): Snapshot {
  return {
    source: 'test', networks: [{ id: NET, name: 'priv', project_id: 'p' }],
    subnets: [{ id: 'sub-1', name: 'priv', network_id: NET, ip_version: 4, cidr: '10.10.10.0/24', gateway_ip: '10.10.10.1' }],
    ports, security_groups: groups.map((id) => ({ id, name: id, project_id: 'p' })), security_group_rules: rules,
  };
}
