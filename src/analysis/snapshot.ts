import { type NeutronBackend } from '../policy/neutron-backends.js';

/**
 * What the analyzer reads: the cloud as Neutron's API shows it (the items of
 * GET /v2.0/networks, /subnets, /ports, /security-groups, /security-group-rules).
 * Every input — this server's database, a live cloud, JSON dumps — becomes one.
 */
export interface SnapshotNetwork {
  id: string;
  name: string;
  project_id: string;
  port_security_enabled?: boolean;
  'router:external'?: boolean;
}

export interface SnapshotSubnet {
  id: string;
  name: string;
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
}

export interface SnapshotPort {
  id: string;
  name: string;
  project_id: string;
  network_id: string;
  mac_address: string;
  device_owner: string;
  device_id: string;
  'binding:host_id'?: string;
  /** how the port is bound (admins only): with vif_details, which mechanism driver and firewall its node runs */
  'binding:vif_type'?: string;
  'binding:vif_details'?: Record<string, unknown>;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  allowed_address_pairs: { ip_address: string; mac_address?: string }[];
  security_groups: string[];
  /** absent when the cloud lacks the port-security extension: then it is on */
  port_security_enabled?: boolean;
  /** what a fix's If-Match names (absent in dumps without it) */
  revision_number?: number;
}

export interface SnapshotRule {
  id: string;
  security_group_id: string;
  project_id?: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  /** a remote address group (Neutron's address-group extension), which no source expands; absent when the rule has none */
  remote_address_group_id?: string;
  description?: string | null;
  revision_number?: number;
}

export interface SnapshotGroup {
  id: string;
  name: string;
  project_id: string;
  /** absent without the stateful-security-group extension: then stateful */
  stateful?: boolean;
  description?: string | null;
  revision_number?: number;
}

/** An item of GET /v2.0/agents (admins only), as far as it tells a host's firewall. */
export interface SnapshotAgent {
  agent_type: string;
  host: string;
  alive?: boolean;
  configurations?: { ovs_hybrid_plug?: boolean };
}

/** A port's firewall as the cloud shows it, and what showed it; unknown: nothing did. */
export interface PortBackend {
  backend: NeutronBackend | 'unknown';
  evidence: string;
}

/** What the import found about each port's firewall (sources/port-backends.ts decides). */
export interface SnapshotBackends {
  /** how the agents were read, or why they were not */
  agents: string;
  /** by port id */
  ports: Record<string, PortBackend>;
}

export interface Snapshot {
  /** where it came from, for reports: "database /path", "cloud https://…", "files dir/" */
  source: string;
  networks: SnapshotNetwork[];
  subnets: SnapshotSubnet[];
  ports: SnapshotPort[];
  security_groups: SnapshotGroup[];
  security_group_rules: SnapshotRule[];
  /** the agents API's answer, when it could be read */
  agents?: SnapshotAgent[];
  /** each port's firewall, absent when the input said nothing of bindings */
  backends?: SnapshotBackends;
  /** the instances (Nova's GET /servers), when the input has them: can-reach takes their names */
  servers?: SnapshotServer[];
  /** the address groups rules name as remotes, when the input has them (a rule naming one not here is refused) */
  address_groups?: SnapshotAddressGroup[];
}

/** An address group as the analysis reads it: the addresses a rule naming it admits. */
export interface SnapshotAddressGroup {
  id: string;
  addresses: string[];
}

/** An instance as the analysis reads it: a port's device_id is its id. */
export interface SnapshotServer {
  id: string;
  name: string;
}
