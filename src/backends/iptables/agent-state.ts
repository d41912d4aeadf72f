/**
 * `--agent-state neutron-21`: the node as Neutron 21's agent really leaves it after
 * events (SecurityGroupAgentRpc + IptablesFirewallDriver + IpsetManager), not as a
 * fresh sync of the topology would. The agent keeps state between its loops, and
 * what it enforces follows from that state:
 *
 * - each port as it was last fetched (a port turned `network:*` is never fetched
 *   again, so its old chains stay), ports without port security in the order they
 *   became unfiltered, trusted ports in the order they became trusted;
 * - each group's rules and, per remote group, the members as last fetched: a fetch
 *   replaces a group's members by the families the fetched ports' rules name (the
 *   other family is lost: without ipsets its rules expand to nothing), and chunks of
 *   20 devices are merged group by group (the last chunk naming a group wins);
 * - which ports a change refreshes: the server notifies group members of a port's
 *   groups and fixed IPs changing (linuxbridge) or of its pairs too (the OVS agent's
 *   cache), never of an owner or port-security change;
 * - IpsetManager's cached member lists: a list with an address twice (a shared VIP, a
 *   pair equal to a fixed IP) loses one copy when the address leaves the set, so the
 *   address never comes back while the copy is there;
 * - IptablesManager's raw PREROUTING rules: conntrack jumps are removed as the caches make
 *   them now, so a port whose tracking flipped keeps its old ones.
 *
 * The chains themselves are rendered by render.ts from that state, as the driver
 * re-renders every port's chains at the end of each loop; IptablesManager then keeps a
 * rule the kernel already holds in another spelling with the text it was first written in.
 */
import { portPolicy } from '../../policy/compile.js';
import { PolicyEngine } from '../../policy/engine.js';
import { type ParsedEvent } from '../../policy/events.js';
import { type Family, FAMILIES, type Member, type PortPolicy } from '../../policy/ir.js';
import { type Topology, type TopologyGroup, type TopologyPort } from '../../policy/topology.js';
import { type FirewallBackend } from '../contract.js';
import { type Delta, stateDelta } from './delta.js';
import { matchingBlocks } from './difflib.js';
import { kernelRule } from './kernel-spelling.js';
import { byDevice, chainCollision, chainKey, checkDevice, checkGroupName, checkNames, device, ipsetName, wrapped } from './naming.js';
import {
  baseTables, hasOwnChain, ipsetEntries, keepLast, OWN_CHAINS, ownChainNames, type RenderContext, renderOwnChain, renderSharedChain, type SharedChain, SHARED_CHAINS, shareLines,
} from './render.js';
import { emptyState, type FamilyTables, type IpSet, type KernelSource, type NodeState, orderedTables, tableFamilies, type TableName, TABLES } from './state.js';
import { assignZones, type PortConntrack, tracking, type ZonedPolicy, type ZonedPort, zoneKey } from './zones.js';


/** rpc_resources_processing_step: devices per security_group_info_for_devices call */
const RPC_STEP = 20;
/** IPSET_ADD_BULK_THRESHOLD: this many changes or more rewrite the set (restore and swap) */
const BULK = 5;

const MAC = /(?:[0-9a-f]{2}:){5}[0-9a-f]{2}/g;
/** _generate_chain_diff_iptables_commands compares rules with their MACs in upper case */
const upperMacs = (rule: string) => rule.replace(MAC, (m) => m.toUpperCase());

/**
 * What IptablesManager's apply leaves: it diffs (difflib.ndiff) each chain as iptables-save
 * prints it, in the kernel's spelling, against the rules it wants, and keeps the lines that
 * match. A wanted rule the kernel already holds in another spelling ("-s 0.0.0.0/0 -m mac X"
 * is "-m mac X" to the kernel) is left as it is, with the text it was first written in.
 */
function respell(prev: NodeState, next: NodeState): NodeState {
  for (const f of FAMILIES) {
    for (const t of TABLES) {
      for (const [chain, rules] of next.tables[f][t]) {
        const old = prev.tables[f][t].get(chain);
        if (!old?.length || !rules.length) continue;
        const kept = [...rules];
        for (const m of matchingBlocks(old.map((r) => upperMacs(kernelRule(r))), rules.map(upperMacs))) {
          for (let k = 0; k < m.size; k++) kept[m.b + k] = old[m.a + k];
        }
        next.tables[f][t].set(chain, kept);
      }
    }
  }
  return next;
}

/** A port as the agent last fetched it. */
interface Fetched {
  port: TopologyPort;
  /** security_group_source_groups: the remote groups its groups' rules named then */
  sourceGroups: Set<string>;
}

type Members = Partial<Record<Family, Member[]>>;

/** What one security_group_info_for_devices answer (merged over chunks) holds. */
interface Info {
  devices: Map<string, Fetched>;
  groups: Map<string, TopologyGroup>;
  members: Map<string, Members>;
}

/** An ipset as IpsetManager caches it (a list, repeats kept) and as the kernel holds it. */
interface CachedSet {
  family: Family;
  cache: string[];
  kernel: Set<string>;
}

const isTrusted = (p: TopologyPort) => p.device_owner.startsWith('network:');
/** helpers.compare_elements: the same elements, in any order */
const sameSet = (a: readonly string[], b: readonly string[]) => new Set(a).size === new Set(b).size && b.every((x) => a.includes(x));
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const samePairs = (a: TopologyPort, b: TopologyPort) => a.allowed_address_pairs.length === b.allowed_address_pairs.length
  && a.allowed_address_pairs.every((x, i) => x.ip_address === b.allowed_address_pairs[i].ip_address && x.mac_address === b.allowed_address_pairs[i].mac_address);

export class NeutronAgentNode implements KernelSource, FirewallBackend<NodeState, Delta> {
  /** the server's view: the topology with every event applied */
  readonly engine: PolicyEngine;
  readonly zones: Map<string, number>;
  private readonly filtered = new Map<string, Fetched>();
  private readonly unfiltered = new Map<string, Fetched>();
  private readonly trusted = new Map<string, TopologyPort>();
  private readonly sgRules = new Map<string, TopologyGroup>();
  /** sgRules as of its last change: compile.ts caches rule lists per groups map, so a changed map is a new one */
  private groupsView: Map<string, TopologyGroup> | undefined;
  private readonly sgMembers = new Map<string, Members>();
  private readonly sets = new Map<string, CachedSet>();
  /** devices_to_refilter: devices a notification marked, refreshed at the next loop */
  private refilter = new Set<string>();
  /**
   * The raw PREROUTING rules as IptablesManager holds them (the same in both families): each
   * loop removes the conntrack jumps of the ports it had, worked out from the caches as they
   * are now, and appends those of the ports it has. A port whose tracking changed (its first
   * group turned stateful or stateless) leaves its old jumps behind; a rule added twice needs
   * two removals. Written out with the last copy of each rule kept.
   */
  private readonly prerouting: string[] = [];
  /** the node as Neutron's last apply left it, its rules in the spelling they were first written in */
  private current: NodeState = emptyState();

  constructor(t: Topology, previousZones?: Map<string, number>) {
    checkNames(t, t.ports.filter((p) => p.local));
    this.engine = new PolicyEngine(t);
    this.zones = new Map(previousZones);
    const devices = t.ports.filter((p) => p.local).map((p) => this.device(p));
    if (devices.length) this.setupPortFilters(devices, []);
  }

  private get options() {
    return this.engine.topology.options;
  }

  private device(p: TopologyPort): string {
    return device(this.options.driver, p);
  }

  /** One change on the server, then one iteration of the agent loop (test/golden/neutron_harness/node.py). */
  apply(e: ParsedEvent): Delta {
    const before = this.state;
    const fresh: string[] = [];
    const updated: string[] = [];
    const removed: string[] = [];
    if (e.op === 'set_group') {
      checkGroupName(this.engine.topology, e.group.id);
      this.engine.apply(e);
      this.notify((fp) => fp.port.security_groups.includes(e.group.id));
    } else {
      const old = this.engine.port(e.id);
      const port = e.port;
      if (port) checkDevice(this.options.driver, port);
      const clash = port?.local && this.engine.topology.ports.find((p) => p.local && p.id !== e.id && chainKey(p) === chainKey(port));
      if (clash) throw chainCollision(e.id, clash.id);
      this.engine.apply(e);
      const groups = this.notified(old, port);
      if (groups.size) this.notify((fp) => [...fp.sourceGroups].some((g) => groups.has(g)));
      if (port?.local) (old?.local ? updated : fresh).push(this.device(port));
      else if (old?.local) removed.push(this.device(old));
    }
    if (fresh.length || updated.length || this.refilter.size) this.setupPortFilters(fresh, updated);
    if (removed.length) this.removeDevicesFilter(removed);
    return stateDelta(before, this.state);
  }

  /** The groups whose members the server tells the agents about for a port change. */
  private notified(old: TopologyPort | undefined, port: TopologyPort | undefined): Set<string> {
    const groups = new Set<string>();
    const of = (...ports: (TopologyPort | undefined)[]) => {
      for (const p of ports) if (p) for (const g of p.security_groups) groups.add(g);
      return groups;
    };
    if (this.options.sgInfoSource === 'agent_shim') {
      // the OVS agent's cache: any change of groups, fixed IPs or pairs (a new port is all change)
      if (!port || !old) return of(old ?? port);
      const changed = !sameList(old.security_groups, port.security_groups) || !sameList(old.fixed_ips, port.fixed_ips) || !samePairs(old, port);
      return changed ? of(old, port) : groups;
    }
    // SecurityGroupServerNotifierRpcMixin: ports owned by network:dhcp notify nothing
    const notifying = (...ports: (TopologyPort | undefined)[]) => of(...ports.filter((p) => p && p.device_owner !== 'network:dhcp'));
    if (!port || !old) return notifying(old ?? port);
    if (!sameSet(old.security_groups, port.security_groups)) return notifying(old, port);
    if (!sameList(old.fixed_ips, port.fixed_ips)) return notifying(port);
    return groups;
  }

  /** _security_group_updated: the agent's ports (filtered, then unfiltered) that `hit` picks are refreshed next loop. */
  private notify(hit: (fp: Fetched) => boolean): void {
    for (const [device, fp] of [...this.filtered, ...this.unfiltered]) if (hit(fp)) this.refilter.add(device);
  }

  private setupPortFilters(fresh: string[], updated: string[]): void {
    const refilter = this.refilter;
    this.refilter = new Set();
    if (fresh.length) this.applyPortFilter(fresh, false);
    const refresh = [...new Set([...updated, ...refilter])].filter((d) => !fresh.includes(d));
    if (refresh.length) this.applyPortFilter(refresh, true);
  }

  /** security_group_info_for_devices for one chunk, as the server answers it. */
  private fetch(devices: string[], ports: Map<string, TopologyPort>, info: Info): void {
    const t = this.engine.topology;
    const named = new Map<string, Set<Family>>();
    for (const device of devices) {
      const port = ports.get(device);
      if (!port || isTrusted(port)) continue;
      const sourceGroups = new Set<string>();
      for (const g of port.security_groups) {
        const group = t.groups.get(g)!;
        info.groups.set(g, group);
        for (const r of group.rules) {
          if (!r.remote_group_id) continue;
          sourceGroups.add(r.remote_group_id);
          if (!named.has(r.remote_group_id)) named.set(r.remote_group_id, new Set());
          named.get(r.remote_group_id)!.add(r.ethertype);
        }
      }
      info.devices.set(port.id, { port, sourceGroups });
    }
    // merged group by group: a later chunk's families replace an earlier one's
    for (const [g, families] of named) info.members.set(g, Object.fromEntries([...families].map((f) => [f, this.engine.membersOf(g, f)])));
  }

  /** _apply_port_filter: fetch in chunks, then update the caches and the ports under one deferred apply. */
  private applyPortFilter(devices: string[], update: boolean): void {
    const info: Info = { devices: new Map(), groups: new Map(), members: new Map() };
    // get_ports_from_devices: the port whose id the device names (a tap keeps 11 characters of it); the first in port order
    const ports = new Map<string, TopologyPort>();
    for (const p of this.engine.topology.ports) if (!ports.has(this.device(p))) ports.set(this.device(p), p);
    for (let i = 0; i < devices.length; i += RPC_STEP) this.fetch(devices.slice(i, i + RPC_STEP), ports, info);
    const fetchedDevices = new Set([...info.devices.values()].map((fp) => this.device(fp.port)));
    const trusted = devices.filter((d) => !this.filtered.has(d) && !this.unfiltered.has(d) && !fetchedDevices.has(d));
    this.deferred(() => {
      for (const [g, group] of info.groups) this.sgRules.set(g, group);
      this.groupsView = undefined;
      for (const [g, members] of info.members) {
        this.sgMembers.set(g, members);
        if (this.options.enableIpset) for (const [f, list] of Object.entries(members) as [Family, Member[]][]) this.setMembers(ipsetName(g, f), f, list);
      }
      for (const fp of info.devices.values()) {
        // update_port_filter ignores a device it does not filter
        if (update && !this.filtered.has(this.device(fp.port)) && !this.unfiltered.has(this.device(fp.port))) continue;
        this.setPort(fp);
      }
      for (const d of trusted) if (!this.trusted.has(d)) this.trusted.set(d, ports.get(d)!);
    });
  }

  private removeDevicesFilter(devices: string[]): void {
    this.deferred(() => {
      for (const d of devices) {
        if (this.filtered.has(d) || this.unfiltered.has(d)) {
          this.filtered.delete(d);
          this.unfiltered.delete(d);
        } else {
          this.trusted.delete(d);
        }
      }
    });
  }

  /** _set_ports: a port keeps its place in its map, and goes last when it moves between them. */
  private setPort(fp: Fetched): void {
    const d = this.device(fp.port);
    const [to, from] = fp.port.port_security_enabled ? [this.filtered, this.unfiltered] : [this.unfiltered, this.filtered];
    to.set(d, fp);
    from.delete(d);
  }

  /** defer_apply: the work, then the tables written and what no filtered port uses any more dropped. */
  private deferred(work: () => void): void {
    const preMembers = [...this.sgMembers.keys()];
    const preRules = [...this.sgRules.keys()];
    const prePorts = [...this.filtered.values()].map((fp) => fp.port);
    work();
    // _remove_chains_apply: the old ports' jumps as they would be now
    for (const port of prePorts) {
      for (const rule of this.jumps(port)) {
        const at = this.prerouting.indexOf(rule);
        if (at >= 0) this.prerouting.splice(at, 1);
      }
    }
    // _setup_chains_apply: zones numbered and jumps added in device order
    const ports = [...this.filtered.values()].map((fp) => fp.port).sort(byDevice);
    assignZones(ports, this.options.driver === 'ovs_hybrid', this.zones);
    for (const port of ports) this.prerouting.push(...this.jumps(port));
    // _remove_unused_security_group_info, with the caches as the loop left them
    const named: Record<Family, Set<string>> = { IPv4: new Set(), IPv6: new Set() };
    const used = new Set<string>();
    for (const { port } of this.filtered.values()) {
      for (const g of port.security_groups) {
        used.add(g);
        for (const r of this.sgRules.get(g)?.rules ?? []) if (r.remote_group_id) named[r.ethertype].add(r.remote_group_id);
      }
    }
    const unused = (f: Family) => preMembers.filter((g) => !named[f].has(g));
    if (this.options.enableIpset) for (const f of FAMILIES) for (const g of unused(f)) this.sets.delete(ipsetName(g, f));
    const unusedV6 = new Set(unused('IPv6'));
    for (const g of unused('IPv4')) if (unusedV6.has(g)) this.sgMembers.delete(g);
    for (const g of preRules) if (!used.has(g)) this.sgRules.delete(g);
    this.groupsView = undefined;
    // what the apply wrote (nothing above changes the chains: what they use stays) and the sets that are left
    this.current = respell(this.current, this.render());
  }

  /** IpsetManager.set_members: small changes one by one against the cached list, larger ones rewrite the set. */
  private setMembers(name: string, family: Family, members: readonly Member[]): void {
    const wanted = members.flatMap((m) => ipsetEntries(m.ip));
    const set = this.sets.get(name);
    if (!set) {
      this.sets.set(name, { family, cache: [...wanted], kernel: new Set(wanted) });
      return;
    }
    const cached = new Set(set.cache);
    const want = new Set(wanted);
    const add = [...want].filter((m) => !cached.has(m));
    const del = [...cached].filter((m) => !want.has(m));
    if (!add.length && !del.length) return;
    if (add.length + del.length >= BULK) {
      this.sets.set(name, { family, cache: [...wanted], kernel: new Set(wanted) });
      return;
    }
    for (const m of add) {
      set.cache.push(m);
      set.kernel.add(m);
    }
    for (const m of del) {
      // list.remove: the first copy only
      set.cache.splice(set.cache.indexOf(m), 1);
      set.kernel.delete(m);
    }
  }

  /** The local ports as the driver renders them: filtered (as last fetched), trusted, unfiltered, each in the agent's order. */
  private policies(): PortPolicy[] {
    const out = [...this.filtered.values()].map(({ port }) => this.policyOf(port));
    for (const port of this.trusted.values()) out.push({ port, kind: 'trusted', spoof: { IPv4: [], IPv6: [] }, rules: [], groupRules: [] });
    for (const { port } of this.unfiltered.values()) out.push(this.policyOf(port));
    return out;
  }

  /** The topology as the agent's caches hold it: the groups' rules as last fetched. */
  private get view(): Topology {
    return { ...this.engine.topology, groups: (this.groupsView ??= new Map(this.sgRules)) };
  }

  /** A port's policy from the agent's caches (the groups' rules and members as last fetched). */
  private policyOf(port: TopologyPort): PortPolicy {
    return this.withoutMissingSets(portPolicy(this.view, port));
  }

  /** A filtered port's zone, once the agent numbered it. */
  private zoneOfPort(port: TopologyPort): number | undefined {
    return this.zones.get(zoneKey(port, this.options.driver === 'ovs_hybrid'));
  }

  /** A local port's conntrack zone (null for a port the agent does not filter), as the data plane's revocation asks. */
  zoneOf(pp: PortPolicy): number | null {
    return pp.kind === 'filtered' ? this.zoneOfPort(pp.port) ?? null : null;
  }

  /** Tracking from the caches as they are now (the members as last fetched), and the port's zone. */
  private conntrack(pp: PortPolicy): PortConntrack {
    return { tracking: tracking(pp.port, this.view, this.ctx.members), zone: this.zoneOfPort(pp.port)! };
  }

  /** _get_jump_rules: a filtered port's conntrack jumps as the caches make them now (none without a zone). */
  private jumps(port: TopologyPort): string[] {
    const pp = this.policyOf(port);
    return pp.kind !== 'filtered' || this.zoneOfPort(port) === undefined ? [] : shareLines(this.ctx, pp, 'PREROUTING');
  }

  /** _generate_ipset_rule_args: a rule naming a set the agent has not created is left out. */
  private withoutMissingSets(pp: PortPolicy): PortPolicy {
    if (!this.options.enableIpset) return pp;
    const exists = (r: PortPolicy['rules'][number]) => r.remote.kind !== 'group' || this.sets.has(ipsetName(r.remote.groupId, r.ethertype));
    if (pp.groupRules.every(exists)) return pp;
    const groupRules = pp.groupRules.filter(exists);
    return { ...pp, rules: [...pp.rules.slice(0, pp.rules.length - pp.groupRules.length), ...groupRules], groupRules };
  }

  private get ctx(): RenderContext {
    return { options: this.options, members: (g, f) => this.sgMembers.get(g)?.[f] ?? [], conntrack: (pp) => this.conntrack(pp) };
  }

  /** The driver's full render of the agent's state, as it wants the node (what one apply writes). */
  private render(): NodeState {
    const tables = {} as NodeState['tables'];
    const ctx = this.ctx;
    const policies = this.policies();
    for (const f of FAMILIES) {
      if (!tableFamilies(this.options).includes(f)) {
        tables[f] = { raw: new Map(), filter: new Map() };
        continue;
      }
      const base = baseTables(this.options);
      tables[f] = { raw: new Map(base.raw), filter: new Map(base.filter) };
      for (const [chain, t] of Object.entries(SHARED_CHAINS) as [SharedChain, TableName][]) {
        tables[f][t].set(wrapped(this.options.driver, chain), chain === 'PREROUTING' ? keepLast(this.prerouting) : renderSharedChain(ctx, chain, policies));
      }
      for (const pp of policies) {
        if (pp.kind !== 'filtered') continue;
        const names = ownChainNames(this.options.driver, pp.port);
        for (const kind of OWN_CHAINS) if (hasOwnChain(pp, f, kind)) tables[f].filter.set(names[kind], renderOwnChain(ctx, pp, f, kind));
      }
    }
    const ipsets = new Map<string, IpSet>([...this.sets].map(([n, s]) => [n, { family: s.family, members: [...s.kernel] }]));
    return { tables, ipsets };
  }

  /** The node's kernel state, as Neutron's last apply left it. */
  get state(): NodeState {
    return this.current;
  }

  get ipsets(): ReadonlyMap<string, IpSet> {
    return this.state.ipsets;
  }

  tables(family: Family): FamilyTables {
    return orderedTables(this.state, family);
  }


  /** The IR the agent enforces: its ports as it renders them, the members it holds. */
  get policy(): ZonedPolicy {
    const ports: ZonedPort[] = this.policies().map((pp) => (pp.kind === 'filtered'
      ? { ...pp, ...this.conntrack(pp), zone: this.zoneOfPort(pp.port) ?? null } : { ...pp, tracking: 'zone', zone: null }));
    const remoteGroups = new Map<string, Members>();
    for (const pp of ports) for (const r of pp.rules) if (r.remote.kind === 'group') remoteGroups.set(r.remote.groupId, { ...remoteGroups.get(r.remote.groupId), [r.ethertype]: this.ctx.members(r.remote.groupId, r.ethertype) });
    return { options: this.options, ports, remoteGroups, zones: new Map(this.zones) };
  }
}
