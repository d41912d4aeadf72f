/**
 * The analyzer's model of a whole cloud: the compiler's own topology and IR
 * (policy/) over every port, so each port's allow-list, rules and remote-group
 * members are exactly what its compute node enforces. Only
 * lookups (by name, IP, network, group) are added here.
 */
import { formatIp, isCanonicalIpv4 } from '../model/addresses.js';
import { indexTopology, portKind, portPolicy, rulesOfGroupList } from '../policy/compile.js';
import { type Family, FAMILIES, type HostPolicy, type Member, type PolicyRule, type PortKind, type PortPolicy } from '../policy/ir.js';
import { type MembershipIndex } from '../policy/membership.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../policy/neutron-backends.js';
import { checkPortReferences, type CompileOptions, parseOptions, parsePort, parseTopology, type Topology, TopologyError, type TopologyPort } from '../policy/topology.js';
import { type ItemList, itemsOf } from './items.js';
import { parseAddress } from './packet.js';
import { InputError } from './sources/errors.js';
import { type AssumedBackend, type ObjectRef } from './answers.js';
import { type Snapshot, type SnapshotGroup, type SnapshotNetwork, type SnapshotPort, type SnapshotRule } from './snapshot.js';

export interface Cloud {
  snapshot: Snapshot;
  topology: Topology;
  /** the options it was built with (a proof rebuilds the cloud with a fix applied as this one was) */
  built: Partial<CompileOptions>;
  ports: Lookup<SnapshotPort>;
  groups: Map<string, SnapshotGroup>;
  rules: Map<string, SnapshotRule>;
  networks: Map<string, SnapshotNetwork>;
  rulesOfGroup: Lookup<SnapshotRule[]>;
  portsOfGroup: Lookup<SnapshotPort[]>;
  portsOfNetwork: Lookup<SnapshotPort[]>;
  /** rules whose remote group is the key */
  rulesReferencing: Lookup<SnapshotRule[]>;
  /** ports by name, by device id, by fixed IP and by host pair (addresses keyed by addressKey) */
  portsByName: Lookup<SnapshotPort[]>;
  portsByDevice: Lookup<SnapshotPort[]>;
  portsByFixedIp: Lookup<SnapshotPort[]>;
  portsByHostPair: Lookup<SnapshotPort[]>;
  /** the remote group's members as the data plane expands them (under the cloud's default backend) */
  members(groupId: string, family: Family): Member[];
  /** the remote group's members as a node running this backend expands them */
  membersUnder(backend: NeutronBackend): (groupId: string, family: Family) => Member[];
  /**
   * the members the node of this port expands remote groups to (the API's view: its backend's). The
   * node that filters decides: a rule naming a group is enforced with the members as the enforcing
   * port's backend sees them, whatever the member ports themselves run; in one direction's rules, as the
   * openvswitch firewall shares a network's MAC-pinned members across its groups (withSharedPinned).
   */
  membersAt(portId: string): (groupId: string, family: Family, direction: Direction) => Member[];
  /** the firewall the port's node runs, and why the analysis assumes it */
  backendAt(portId: string): AssumedBackend;
  /** the compile options of the port's node (its backend's) */
  optionsAt(portId: string): CompileOptions;
  /** what each compute node's agent enforces, when the analyzer runs beside them (portsec serve with agents) */
  agents?: readonly AgentEnforcement[];
  /** the port's IR, as its compute node compiles it */
  policy(portId: string): PortPolicy;
  /** one group's rules as every filtered port in it holds them (part of its IR's groupRules) */
  groupRules(groupId: string): readonly PolicyRule[];
  /** filtered, unfiltered or trusted, without building the IR */
  kind(portId: string): PortKind;
}

/** What the cloud's lookups offer: a map's reading side (iterating reads every item). */
export interface Lookup<V> extends Iterable<[string, V]> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  readonly size: number;
}

/** One compute node's agent: its host and the IR it enforces (its ports as it renders them, the members it holds). */
export interface AgentEnforcement {
  host: string;
  policy: HostPolicy;
}

export const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/** A port as the compiler takes it. */
const portInput = (p: SnapshotPort) => ({
  id: p.id, network_id: p.network_id, mac_address: p.mac_address, fixed_ips: p.fixed_ips,
  allowed_address_pairs: p.allowed_address_pairs, security_groups: p.security_groups,
  port_security_enabled: p.port_security_enabled !== false, // not local: tap names only have to differ per compute node, which the analyzer does not need
  device_owner: p.device_owner, local: false,
});

/** A map by id, without the [id, object] pair per entry that `new Map(list.map(...))` allocates. */
function byId<T extends { id: string }>(list: T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of list) m.set(x.id, x);
  return m;
}

/**
 * A lookup built when first read, of item numbers; `get` reads (so checks: items.ts) only the items it
 * returns (bench/audit: a one-off can-reach reads a few ports and rules of a 100,000-port dump).
 */
class Index<I, V> implements Lookup<V> {
  private map?: ReadonlyMap<string, I>;
  private readonly values = new Map<string, V>();

  constructor(private readonly build: () => ReadonlyMap<string, I>, private readonly resolve: (i: I) => V) {}

  private get numbers(): ReadonlyMap<string, I> {
    return (this.map ??= this.build());
  }

  get(key: string): V | undefined {
    let v = this.values.get(key);
    if (v === undefined) {
      const i = this.numbers.get(key);
      if (i === undefined) return undefined;
      this.values.set(key, (v = this.resolve(i)));
    }
    return v;
  }

  has(key: string): boolean {
    return this.numbers.has(key);
  }

  keys(): IterableIterator<string> {
    return this.numbers.keys();
  }

  get size(): number {
    return this.numbers.size;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const k of this.numbers.keys()) yield [k, this.get(k)!];
  }
}

const ID = ['id'] as const;
const REMOTE_GROUP = ['remote_group_id'] as const;

/** The items of a list by the keys of each, in list order; `fields` are the ones `keysOf` reads. */
function listIndex<T, K extends keyof T, V = T>(list: ItemList<T>, fields: readonly K[], keysOf: (item: Pick<T, K>) => Iterable<string>, at: (i: number) => V = (i) => list.at(i) as unknown as V): Index<number[], V[]> {
  return new Index(() => {
    const m = new Map<string, number[]>();
    for (let i = 0; i < list.length; i++) for (const k of keysOf(list.fields(i, fields))) push(m, k, i);
    return m;
  }, (numbers) => numbers.map(at));
}

/**
 * The compile options of a node running `backend`: the caller's, with the backend's own driver;
 * turning ipsets off only means something to Neutron's iptables drivers.
 */
function optionsFor(options: Partial<CompileOptions>, backend: NeutronBackend | undefined): Partial<CompileOptions> {
  const iptables = backend === undefined || !!BACKEND_SEMANTICS[backend].iptablesDriver;
  return { ...options, backend, ...(backend && options.backend !== backend && { driver: undefined }), enableIpset: (options.enableIpset ?? true) || !iptables };
}

/**
 * The cloud as the analysis sees it. `options.backend` forces one backend on every port;
 * without it each port runs what the snapshot found for it (`backends`), else the default.
 * A snapshot read lazily (a dump file: items.ts) has its ports compiled, and their problems
 * thrown, when a question reads them; any other is compiled whole here.
 */
export function buildCloud(s: Snapshot, options: Partial<CompileOptions> = {}, agents?: readonly AgentEnforcement[]): Cloud {
  const items = itemsOf(s);
  const { ports, rules } = items;
  const rulesOfGroup = listIndex(rules, ['security_group_id'], (r) => [r.security_group_id]);
  const rulesReferencing = listIndex(rules, ['remote_group_id'], (r) => (r.remote_group_id ? [r.remote_group_id] : []));
  // a group's rules are parsed when a question first reads them: their problems are input errors then
  const inputError = (e: TopologyError) => new InputError(`${s.source}: ${e.message}`);
  const checking = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw e instanceof TopologyError ? inputError(e) : e;
    }
  };
  const portNumbers = once((): ReadonlyMap<string, number> => {
    if (ports.places) return ports.places;
    const m = new Map<string, number>();
    for (let i = 0; i < ports.length; i++) m.set(ports.fields(i, ID).id, i);
    return m;
  });
  const parsedPorts: (TopologyPort | undefined)[] = [];
  const referencesChecked: boolean[] = [];
  // each group's ports in the snapshot's order, once each: what indexing every port would put in the group, in the same order
  const portsInGroups = listIndex(ports, ['security_groups'], (p) => new Set(p.security_groups), (i) => topologyPortAt(i));
  // groups a scoped snapshot only references stay empty
  const known = new Set(s.security_groups.map((g) => g.id));
  const unseen = new Set([...portsInGroups.keys()].filter((g) => !known.has(g)));
  // the rules' remote groups read, not indexed: a query names few of them (bench/audit)
  for (let i = 0; i < rules.length; i++) {
    const g = rules.fields(i, REMOTE_GROUP).remote_group_id;
    if (g && !known.has(g)) unseen.add(g);
  }
  // a rule naming an address group stands for its addresses (the topology refuses one whose addresses are not known)
  const addressGroups = new Map((s.address_groups ?? []).map((a) => [a.id, a.addresses]));
  const withAddresses = (rules: SnapshotRule[]) => (addressGroups.size === 0 ? rules : rules.map((r) => (r.remote_address_group_id === undefined
    ? r : { ...r, remote_address_group_addresses: addressGroups.get(r.remote_address_group_id) })));
  // the driver follows the backend (linuxbridge's by default)
  const { options: baseOptions, groups } = checking(() => parseTopology({
    options: {},
    security_groups: [
      ...s.security_groups.map((g) => ({ id: g.id, name: g.name, stateful: g.stateful !== false, get security_group_rules() { return withAddresses(rulesOfGroup.get(g.id) ?? []); } })),
      ...[...unseen].map((id) => ({ id, name: '', stateful: true, security_group_rules: [] })),
    ],
    ports: [],
  }, optionsFor(options, options.backend), inputError));
  const parsedAt = (i: number) => (parsedPorts[i] ??= checking(() => parsePort(portInput(ports.at(i)), baseOptions.host)));
  function topologyPortAt(i: number): TopologyPort {
    const p = parsedAt(i);
    if (!referencesChecked[i]) checking(() => checkPortReferences(groups, [p]));
    referencesChecked[i] = true;
    return p;
  }
  // every port parsed before any is checked against the groups: the first problem is the one parsing all of them meets first
  const allPorts = once(() => {
    const list = Array.from({ length: ports.length }, (_, i) => parsedAt(i));
    checking(() => checkPortReferences(groups, list));
    list.forEach((_, i) => (referencesChecked[i] = true));
    return list;
  });
  const withOptions = (o: CompileOptions): Topology => ({ options: o, groups, get ports() { return allPorts(); } });
  const topology = withOptions(baseOptions);
  if (!items.lazy) void topology.ports;
  const base = topology.options.backend;
  // the other backends' nodes share the base's groups and ports, with their own options
  const topologies = new Map<NeutronBackend, Topology>([[base, topology]]);
  const topologyOf = (b: NeutronBackend): Topology => {
    let t = topologies.get(b);
    if (!t) topologies.set(b, (t = withOptions(parseOptions({}, optionsFor(options, b)))));
    return t;
  };
  const portsInGroup = (g: string): readonly TopologyPort[] => portsInGroups.get(g) ?? [];
  const membersOf = new Map<NeutronBackend, (g: string, f: Family) => Member[]>();
  const membersUnder = (b: NeutronBackend) => {
    let fn = membersOf.get(b);
    if (!fn) {
      const t = topologyOf(b);
      const memberCache: Record<Family, Map<string, Member[]>> = { IPv4: new Map(), IPv6: new Map() };
      fn = (g: string, f: Family) => {
        let m = memberCache[f].get(g);
        if (!m) {
          // one group at a time, from its own ports (bench/audit: a one-off can-reach names a few groups of 10,000; indexing every port first cost more than its answer)
          const index: MembershipIndex = indexTopology(t, portsInGroup(g));
          for (const family of FAMILIES) memberCache[family].set(g, index.members(g, family));
          m = memberCache[f].get(g)!;
        }
        return m;
      };
      membersOf.set(b, fn);
    }
    return fn;
  };
  const members = membersUnder(base);
  const addressKeys = (ips: { ip_address: string }[]) => ips.flatMap((x) => {
    const key = textKey(x.ip_address);
    return key ? [key] : [];
  });
  // the lookups are built when first read (bench/audit: a one-off can-reach reads two or three of them, the audit most)
  const lookups = {
    ports: new Index(portNumbers, (i) => ports.at(i)),
    groups: once(() => byId(s.security_groups)),
    rules: once(() => byId(s.security_group_rules)),
    networks: once(() => byId(s.networks)),
    portsOfNetwork: listIndex(ports, ['network_id'], (p) => [p.network_id]),
    portsOfGroup: listIndex(ports, ['security_groups'], (p) => p.security_groups),
    portsByName: listIndex(ports, ['name'], (p) => (p.name ? [p.name] : [])),
    portsByDevice: listIndex(ports, ['device_id'], (p) => (p.device_id ? [p.device_id] : [])),
    portsByFixedIp: listIndex(ports, ['fixed_ips'], (p) => addressKeys(p.fixed_ips)),
    portsByHostPair: listIndex(ports, ['allowed_address_pairs'], (p) => addressKeys(p.allowed_address_pairs)),
  };
  const topologyPort = (id: string) => topologyPortAt(portNumbers().get(id)!);
  const assumed = (portId: string): AssumedBackend => {
    if (options.backend !== undefined) return { backend: options.backend, why: 'forced' };
    const port = lookups.ports.get(portId);
    const f = port && items.backendOf(port);
    if (f && f.backend !== 'unknown') return { backend: f.backend, why: 'found', evidence: f.evidence };
    return f ? { backend: base, why: 'default', evidence: f.evidence } : { backend: base, why: 'default' };
  };
  const policies = new Map<string, PortPolicy>();
  const cloud: Cloud = {
    snapshot: s,
    topology,
    built: options,
    ports: lookups.ports,
    get groups() { return lookups.groups(); },
    get rules() { return lookups.rules(); },
    get networks() { return lookups.networks(); },
    rulesOfGroup,
    portsOfGroup: lookups.portsOfGroup,
    portsOfNetwork: lookups.portsOfNetwork,
    rulesReferencing,
    portsByName: lookups.portsByName,
    portsByDevice: lookups.portsByDevice,
    portsByFixedIp: lookups.portsByFixedIp,
    portsByHostPair: lookups.portsByHostPair,
    members,
    membersUnder,
    membersAt: (portId) => {
      const { backend } = assumed(portId);
      const under = membersUnder(backend);
      return BACKEND_SEMANTICS[backend].pinnedMembersShared ? withSharedPinned(cloud, under, portId) : under;
    },
    backendAt: assumed,
    optionsAt: (portId) => topologyOf(assumed(portId).backend).options,
    agents,
    kind: (portId) => portKind(topologyPort(portId)),
    groupRules: (groupId) => rulesOfGroupList(topology, [groupId]),
    policy(portId) {
      let pp = policies.get(portId);
      if (!pp) policies.set(portId, (pp = portPolicy(topologyOf(assumed(portId).backend), topologyPort(portId))));
      return pp;
    },
  };
  return cloud;
}

/** A value built on its first use, then kept. */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

type Direction = PolicyRule['direction'];
const sharedCache = new WeakMap<Cloud, Map<string, Member[]>>();

/**
 * A port's node's view of remote groups when MAC-pinned members are shared (policy/neutron-backends.ts): a
 * group with a pinned member also takes the pinned members of every group that the rules of that direction and
 * family of the node's filtered ports on the port's network name.
 */
function withSharedPinned(cloud: Cloud, members: (g: string, f: Family) => Member[], portId: string): (g: string, f: Family, d: Direction) => Member[] {
  const port = cloud.ports.get(portId)!;
  const host = port['binding:host_id'];
  let cache = sharedCache.get(cloud);
  if (!cache) sharedCache.set(cloud, (cache = new Map()));
  const pinnedOfNetwork = (f: Family, d: Direction): Member[] => {
    const key = `${port.network_id}|${host ?? ''}|${f}|${d}|`;
    let list = cache.get(key);
    if (list) return list;
    const named = new Set<string>();
    for (const q of cloud.portsOfNetwork.get(port.network_id) ?? []) {
      if (q['binding:host_id'] !== host || cloud.kind(q.id) !== 'filtered') continue;
      for (const r of cloud.policy(q.id).groupRules) if (r.direction === d && r.ethertype === f && r.remote.kind === 'group') named.add(r.remote.groupId);
    }
    cache.set(key, (list = [...named].flatMap((g) => members(g, f).filter((m) => m.srcMac))));
    return list;
  };
  return (g, f, d) => {
    const own = members(g, f);
    if (!own.some((m) => m.srcMac)) return own;
    const key = `${port.network_id}|${host ?? ''}|${f}|${d}|${g}`;
    let list = cache.get(key);
    if (!list) cache.set(key, (list = [...own, ...pinnedOfNetwork(f, d).filter((m) => !own.some((o) => o.ip === m.ip && o.srcMac === m.srcMac))]));
    return list;
  };
}

/** An address's key in the lookups by address: its text as Neutron prints it. */
export const addressKey = (a: { family: Family; value: bigint }) => formatIp(a.family === 'IPv4' ? 4 : 6, a.value);

/**
 * The key of an address as written (a host prefix too), if it is one: an IPv4 address as Neutron prints it is
 * its own (bench/audit: parsing 100,000 fixed IPs for a one-off can-reach from an address cost more than its answer).
 */
function textKey(text: string): string | undefined {
  if (isCanonicalIpv4(text)) return text;
  const a = parseAddress(text);
  return a && addressKey(a);
}

/** A port's name for people: its name, else its device, else its id (whole: a cut id names nothing in `openstack port show`). */
export function portLabel(p: SnapshotPort): string {
  return p.name || (p.device_id ? `${p.device_owner || 'device'} ${p.device_id}` : p.id);
}

export function groupLabel(cloud: Cloud, id: string): string {
  return cloud.groups.get(id)?.name || id;
}

/**
 * One reference per port and per group of a cloud, shared by every finding naming it (bench/audit: the
 * audit's 90,000 findings name ports and groups 1.6 million times; an object each was a third of its garbage).
 */
const portRefs = new WeakMap<SnapshotPort, ObjectRef>();
const groupRefs = new WeakMap<Cloud, Map<string, ObjectRef>>();

export function portRef(p: SnapshotPort): ObjectRef {
  let ref = portRefs.get(p);
  if (!ref) portRefs.set(p, (ref = { type: 'port', id: p.id, name: portLabel(p) }));
  return ref;
}

export function groupRef(cloud: Cloud, id: string): ObjectRef {
  let refs = groupRefs.get(cloud);
  if (!refs) groupRefs.set(cloud, (refs = new Map()));
  let ref = refs.get(id);
  if (!ref) refs.set(id, (ref = { type: 'security_group', id, name: groupLabel(cloud, id) }));
  return ref;
}
export function networkRef(cloud: Cloud, id: string): ObjectRef {
  const name = cloud.networks.get(id)?.name;
  return name ? { type: 'network', id, name } : { type: 'network', id };
}
export const ruleRef = (r: SnapshotRule): ObjectRef => ({ type: 'security_group_rule', id: r.id });
