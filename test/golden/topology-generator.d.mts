// Types for topology-generator.mjs (plain JS so that Node 20 runs it directly).

export interface FixedIp {
  ip_address: string;
  subnet_id: string;
}
export interface AddressPair {
  ip_address: string;
  mac_address?: string;
}
export interface Port {
  id: string;
  device?: string;
  network_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  allowed_address_pairs: AddressPair[];
  security_groups: string[];
  port_security_enabled: boolean;
  device_owner: string;
  local?: false;
  'binding:host_id'?: string;
}
export interface Rule {
  id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}
export interface SecurityGroup {
  id: string;
  name: string;
  stateful: boolean;
  security_group_rules: Rule[];
}
export type GoldenEvent =
  | { op: 'add_port'; label: string; port: Port }
  | { op: 'update_port'; label: string; port: Port }
  | { op: 'remove_port'; label: string; id: string }
  | { op: 'update_security_group'; label: string; security_group: SecurityGroup };
export interface Topology {
  options: { driver: 'linuxbridge' | 'ovs_hybrid' | 'openvswitch'; enable_ipset: boolean };
  security_groups: SecurityGroup[];
  ports: Port[];
  events?: GoldenEvent[];
}

export function mulberry32(seed: number): () => number;
export function generateTopology(seed: number): Topology;
/** The final topology (no events): add appends, update replaces in place, remove deletes. */
export function applyEvents(topology: Topology): Topology;
export function withoutEvents(topology: Topology): Topology;
/** A copy with options.driver replaced. */
export function withDriver(topology: Topology, driver: Topology['options']['driver']): Topology;
