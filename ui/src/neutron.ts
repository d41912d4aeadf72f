/** The parts of Neutron's resources the console reads (GET /v2.0/...). */

export interface SecurityGroup {
  id: string;
  name: string;
  project_id: string;
  description: string;
}

export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

export interface Port {
  id: string;
  name: string;
  project_id: string;
  network_id: string;
  device_owner: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  allowed_address_pairs: AddressPair[];
  security_groups: string[];
  port_security_enabled: boolean;
}

export interface Network {
  id: string;
  name: string;
  project_id: string;
}

export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
}

/** Everything the console draws, as the caller's project sees it. */
export interface Cloud {
  groups: SecurityGroup[];
  rules: SecurityGroupRule[];
  ports: Port[];
  networks: Network[];
  subnets: Subnet[];
}

/** "tcp/80", "udp/1000-2000", "icmp", "any". */
export function ruleService(r: Pick<SecurityGroupRule, 'protocol' | 'port_range_min' | 'port_range_max'>): string {
  const proto = r.protocol ?? 'any';
  if (r.port_range_min === null) return proto;
  const range = r.port_range_max === null || r.port_range_max === r.port_range_min ? `${r.port_range_min}` : `${r.port_range_min}-${r.port_range_max}`;
  return `${proto}/${range}`;
}

export const portLabel = (p: Port): string => p.name || p.id.slice(0, 8);
export const groupLabel = (g: SecurityGroup): string => g.name || g.id.slice(0, 8);
