/**
 * The storage seam: one repository per resource, every method async, so that
 * a database with its own connection (PostgreSQL) plugs in where SQLite is
 * now. Repositories store and fetch; Neutron's decisions (policy, IPAM,
 * revision rules) stay with the handlers. Every write records its change in
 * the change log (the outbox agents and caches follow), inside the caller's
 * transaction.
 */
import { type AddressGroup } from '../model/address-group.js';
import { type StandardAttrs } from '../model/common.js';
import { type Network } from '../model/network.js';
import { type Port } from '../model/port.js';
import { type RbacPolicy } from '../model/rbac-policy.js';
import { type QuotaResource } from '../model/quota.js';
import { type SecurityGroup } from '../model/security-group.js';
import { type Rule } from '../model/security-group-rule.js';
import { type Subnet } from '../model/subnet.js';

export type SortDir = 'asc' | 'desc';

/**
 * A list a database answers itself: whose view, which rows, in what order, which
 * page. The filters come first, the page is cut from what they select (as Neutron's
 * queries do). `S`: the resource's set fields, values a row holds many of.
 */
export interface ListQuery<K extends string, S extends string = never> {
  /**
   * Only what this project may read under Neutron's (Zed default) read policy for
   * the resource; absent: everything (an admin).
   */
  visibleTo?: string;
  /** field → accepted values: a row matches when every field holds one of its values */
  where?: Partial<Record<K, readonly Scalar[]>>;
  /** set field → accepted values: a row matches when each of these sets holds one of its values */
  has?: Partial<Record<S, readonly string[]>>;
  /**
   * set field → texts: a row matches when each of these sets holds a value LIKE
   * `%text%` for one of its texts (Neutron's ip_address_substr: SQL's LIKE, whose `_` and `%` match as patterns)
   */
  like?: Partial<Record<S, readonly string[]>>;
  /** standard-attr-tag's filters: `tags` (every one), `tags-any` (one of them), `not-tags` (not every one), `not-tags-any` (none) */
  tags?: Partial<Record<TagFilter, readonly string[]>>;
  /** `id` ascending breaks ties (as Neutron's pagination does); with no sorts and no page, creation order */
  sorts?: [K, SortDir][];
  limit?: number;
  /** the page starts after this row (ends before it with pageReverse); an id no visible row has: the first page (the last reversed) */
  marker?: string;
  /** the rows before the marker, walked backwards; with a limit, the page nearest the marker in order again */
  pageReverse?: boolean;
}

export type Scalar = string | number | boolean | null;

export type TagFilter = 'tags' | 'tags-any' | 'not-tags' | 'not-tags-any';

/** How a write revises a row: the revision bump and, when given, the new description. */
export interface Revision {
  bump: number;
  description?: string | null;
}

/** A new row: everything but what the store assigns; `revision_number` defaults to 0. */
export type New<T extends StandardAttrs> = Omit<T, keyof StandardAttrs> & { description: string | null; revision_number?: number };

export type NetworkField = 'id' | 'project_id' | 'name' | 'admin_state_up' | 'shared' | 'port_security_enabled' | 'external' | 'mtu'
  | 'description' | 'revision_number' | 'created_at' | 'updated_at';
export type NetworkChanges = Partial<Pick<Network, 'name' | 'admin_state_up' | 'shared' | 'port_security_enabled' | 'external' | 'mtu'>>;

export interface NetworkRepository {
  get(id: string, visibleTo?: string): Promise<Network | undefined>;
  list(q?: ListQuery<NetworkField>): Promise<Network[]>;
  /** the network and its one VXLAN segment (the next free segmentation id); the segment revises the network once */
  create(n: Omit<New<Network>, 'segmentation_id' | 'subnets'>): Promise<Network>;
  update(id: string, changes: NetworkChanges, revision: Revision): Promise<Network>;
  /** the network and its subnets */
  remove(id: string): Promise<void>;
}

export type SubnetField = 'id' | 'project_id' | 'network_id' | 'name' | 'ip_version' | 'cidr' | 'gateway_ip' | 'enable_dhcp'
  | 'ipv6_ra_mode' | 'ipv6_address_mode' | 'description' | 'revision_number' | 'created_at' | 'updated_at';
export type SubnetChanges = Partial<Pick<Subnet, 'name' | 'gateway_ip' | 'allocation_pools' | 'enable_dhcp' | 'dns_nameservers' | 'host_routes'>>;

export interface SubnetRepository {
  get(id: string, visibleTo?: string): Promise<Subnet | undefined>;
  list(q?: ListQuery<SubnetField>): Promise<Subnet[]>;
  create(s: New<Subnet>): Promise<Subnet>;
  update(id: string, changes: SubnetChanges, revision: Revision): Promise<Subnet>;
  remove(id: string): Promise<void>;
}

export type PortField = 'id' | 'project_id' | 'network_id' | 'name' | 'mac_address' | 'admin_state_up' | 'status' | 'device_id'
  | 'device_owner' | 'port_security_enabled' | 'host_id' | 'vnic_type' | 'description' | 'revision_number' | 'created_at' | 'updated_at';
export type PortChanges = Partial<Pick<Port, 'name' | 'admin_state_up' | 'device_id' | 'device_owner' | 'port_security_enabled' | 'host_id'
  | 'vnic_type' | 'profile' | 'mac_address' | 'fixed_ips' | 'allowed_address_pairs' | 'security_groups'>>;

/** a port's groups, and its fixed IPs' addresses and subnets */
export type PortSet = 'security_groups' | 'fixed_ips.ip_address' | 'fixed_ips.subnet_id';

export interface PortRepository {
  get(id: string, visibleTo?: string): Promise<Port | undefined>;
  /** the ports of these ids that exist, in one read */
  getMany(ids: readonly string[]): Promise<Port[]>;
  list(q?: ListQuery<PortField, PortSet>): Promise<Port[]>;
  create(p: New<Port>): Promise<Port>;
  update(id: string, changes: PortChanges, revision: Revision): Promise<Port>;
  remove(id: string): Promise<void>;
  macInUse(networkId: string, mac: string): Promise<boolean>;
  /** the port holding `ip` on the subnet */
  ipHolder(subnetId: string, ip: string): Promise<string | undefined>;
  ipsOnSubnet(subnetId: string): Promise<string[]>;
  /** ports with an address on the subnet */
  usingSubnet(subnetId: string): Promise<string[]>;
  /** the compute nodes ports are bound to */
  boundHosts(): Promise<string[]>;
}

export type GroupField = 'id' | 'project_id' | 'name' | 'stateful' | 'description' | 'revision_number' | 'created_at' | 'updated_at';
export type GroupChanges = Partial<Pick<SecurityGroup, 'name' | 'stateful'>>;

export interface SecurityGroupRepository {
  get(id: string, visibleTo?: string): Promise<SecurityGroup | undefined>;
  list(q?: ListQuery<GroupField>): Promise<SecurityGroup[]>;
  /** `isDefault`: the project's default group (one per project) */
  create(g: New<SecurityGroup>, isDefault: boolean): Promise<SecurityGroup>;
  update(id: string, changes: GroupChanges, revision: Revision): Promise<SecurityGroup>;
  /** a revision without a change of its own (its rules changed) */
  revise(id: string, revision: Revision): Promise<void>;
  /** the group and its rules */
  remove(id: string): Promise<void>;
  defaultOf(projectId: string): Promise<string | undefined>;
  isDefault(id: string): Promise<boolean>;
  members(id: string): Promise<string[]>;
  /** the allowed-address pairs of the group's members */
  memberPairAddresses(id: string): Promise<string[]>;
  /** members that hold allowed-address pairs */
  pairHolders(id: string): Promise<string[]>;
}

export type RuleField = 'id' | 'project_id' | 'security_group_id' | 'remote_group_id' | 'direction' | 'ethertype' | 'protocol'
  | 'port_range_min' | 'port_range_max' | 'remote_ip_prefix' | 'remote_address_group_id' | 'description' | 'revision_number' | 'created_at' | 'updated_at';

export interface RuleRepository {
  get(id: string, visibleTo?: string): Promise<Rule | undefined>;
  list(q?: ListQuery<RuleField>): Promise<Rule[]>;
  create(r: New<Rule>): Promise<Rule>;
  /** only the description and revision change (rules are otherwise immutable) */
  update(id: string, revision: Revision): Promise<Rule>;
  remove(id: string): Promise<void>;
}

export type AddressGroupField = 'id' | 'project_id' | 'name' | 'description' | 'revision_number' | 'created_at' | 'updated_at';

export interface AddressGroupRepository {
  get(id: string, visibleTo?: string): Promise<AddressGroup | undefined>;
  list(q?: ListQuery<AddressGroupField>): Promise<AddressGroup[]>;
  /** the group, without addresses (Neutron adds them after, each revising it) */
  create(g: Omit<New<AddressGroup>, 'addresses'>): Promise<AddressGroup>;
  update(id: string, changes: { name?: string }, revision: Revision): Promise<AddressGroup>;
  /** adds addresses (normalised, not in the group) or removes ones in it; each revises the group once, as each association does in Neutron */
  addAddresses(id: string, addresses: readonly string[]): Promise<AddressGroup>;
  removeAddresses(id: string, addresses: readonly string[]): Promise<AddressGroup>;
  remove(id: string): Promise<void>;
}

export type RbacField = 'id' | 'project_id' | 'object_type' | 'object_id' | 'action' | 'target_project';

/** RBAC policies on security groups (the only object type portsec serves). */
export interface RbacPolicyRepository {
  /** `visibleTo`: only a policy this project made */
  get(id: string, visibleTo?: string): Promise<RbacPolicy | undefined>;
  /** in creation order (Neutron's unsorted query) */
  list(q?: Pick<ListQuery<RbacField>, 'visibleTo' | 'where'>): Promise<RbacPolicy[]>;
  /** undefined: a policy with the same object, action and target is there already */
  create(p: RbacPolicy): Promise<RbacPolicy | undefined>;
  setTarget(id: string, target: string): Promise<RbacPolicy>;
  remove(id: string): Promise<void>;
  /** the groups shared (access_as_shared) with the project, by name or by the wildcard */
  sharedWith(project: string): Promise<Set<string>>;
}

export interface StoredToken {
  hash: string;
  /** whom the token stands for, as the identity side wrote it */
  principal: unknown;
  issuedAt: string;
  expiresAt: string;
  methods: string[];
  auditId: string;
}

export interface TokenRepository {
  add(t: StoredToken): Promise<void>;
  get(hash: string): Promise<StoredToken | undefined>;
  all(): Promise<StoredToken[]>;
  /** whether there was one */
  remove(hash: string): Promise<boolean>;
  removeMany(hashes: readonly string[]): Promise<void>;
  removeExpired(before: string): Promise<void>;
}

export interface Change {
  seq: number;
  resource: string;
  resource_id: string;
  action: string;
  /**
   * the resource this one belongs to: a security group rule's group (once the rule
   * is deleted, nothing else names it); null for the others, and for rules deleted
   * before the log recorded it (migration 5)
   */
  parent_id: string | null;
}

/** The change log every write appends to (see the module comment). */
export interface ChangeLog {
  since(seq: number): Promise<Change[]>;
  last(): Promise<number>;
}

/** Compute nodes known to the data plane, with their tunnel (VXLAN underlay) address. */
export interface AgentRepository {
  /** the node's address, assigned on first use */
  tunnelAddress(host: string): Promise<string>;
  tunnelAddresses(): Promise<Map<string, string>>;
}

/** The analysis API's per-view change numbers: the digest of what the view showed at each. */
export interface ViewVersionRepository {
  get(view: string): Promise<{ version: number; digest: string } | undefined>;
  put(view: string, version: number, digest: string): Promise<void>;
}

/** The resources standard-attr-tag tags, by their table (Neutron's name for them in TagResourceNotFound). */
export type TaggedResource = 'networks' | 'subnets' | 'ports' | 'security_groups';

/**
 * A resource row's tags (standard-attr-tag), for a row that exists. Each write that
 * changes them revises the row once (Neutron's Tag revises_on_change its standard attributes).
 */
export interface TagRepository {
  of(resource: TaggedResource, id: string): Promise<string[]>;
  /** the tags become these (update_tags) */
  replace(resource: TaggedResource, id: string, tags: readonly string[]): Promise<void>;
  add(resource: TaggedResource, id: string, tag: string): Promise<void>;
  /** whether it had the tag */
  remove(resource: TaggedResource, id: string, tag: string): Promise<boolean>;
}

/** A limit an admin set for a project (the others are the server's defaults). */
export interface StoredQuota {
  project_id: string;
  resource: string;
  limit: number;
}

/** Neutron's quotas table, and the counts its quota engine reads (a project's rows of each resource). */
export interface QuotaRepository {
  /** the limits set for the project: resource → limit */
  of(projectId: string): Promise<Map<string, number>>;
  /** every limit set, the projects in the order their first was set */
  all(): Promise<StoredQuota[]>;
  set(projectId: string, resource: string, limit: number): Promise<void>;
  /** the project's limits; how many there were */
  remove(projectId: string): Promise<number>;
  /** how many of the resource the project owns */
  used(projectId: string, resource: QuotaResource): Promise<number>;
}

export interface Repositories {
  networks: NetworkRepository;
  subnets: SubnetRepository;
  ports: PortRepository;
  securityGroups: SecurityGroupRepository;
  rules: RuleRepository;
  addressGroups: AddressGroupRepository;
  rbacPolicies: RbacPolicyRepository;
  tokens: TokenRepository;
  changes: ChangeLog;
  agents: AgentRepository;
  views: ViewVersionRepository;
  tags: TagRepository;
  quotas: QuotaRepository;
}

export interface Store extends Repositories {
  /** where the data is, for messages */
  readonly name: string;
  /**
   * Runs `fn` as one transaction on the repositories it is handed (never on the
   * store's own, which wait for it): all of its writes or none.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Runs `fn` on one consistent view of the store (for reads: it takes no write lock). */
  snapshot<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` with the last seq each time a write that appended to the change
   * log has committed (in a transaction or alone): never before the commit, never for
   * a rolled-back transaction, a read or a snapshot. A wake-up only: the changes are
   * read from the log. SQLite hears its own connection's writes; a PostgreSQL store
   * would LISTEN to a NOTIFY its writes send on commit. Returns how to stop listening.
   */
  onCommit(listener: (seq: number) => void): () => void;
  /**
   * What the database's own rules should have removed with the rows it belonged to
   * (a deleted resource's standard attributes) or refused (a row naming one that is
   * not there): one line each, none in a sound store.
   */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}
