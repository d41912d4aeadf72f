/**
 * The compiler's input: one compute node's view of the cloud, in the shape of
 * Neutron's API objects (the shape test/golden/neutron_driver.py takes). Parsing
 * normalises it the way Neutron's API would have, and rejects what Neutron
 * would refuse, naming the object.
 */
import { canonicalIpText, canonicalMac, parseCidr } from '../model/addresses.js';
import { NeutronError } from '../model/errors.js';
import {
  canonicalRule, convertIpPrefix, convertPortValue, convertProtocol, type Direction, type Ethertype, normalizedCidr, type RuleInput,
} from '../model/security-group-rule.js';
import { BACKEND_SEMANTICS, driverBackend, isNeutronBackend, NEUTRON_BACKENDS, type NeutronBackend } from './neutron-backends.js';

export type Driver = 'linuxbridge' | 'ovs_hybrid';
export type SgInfoSource = 'server_rpc' | 'agent_shim';

export interface CompileOptions {
  /** Neutron's firewall on the node: what a remote group stands for depends on it (policy/neutron-backends.ts) */
  backend: NeutronBackend;
  /** the iptables driver when the backend is one; the other backends keep linuxbridge's, which only the iptables renderer reads */
  driver: Driver;
  enableIpset: boolean;
  comments: boolean;
  /** where the agent learns about groups: Neutron's server (linuxbridge) or the OVS agent's cache */
  sgInfoSource: SgInfoSource;
  /**
   * portsec's safe expansion of remote groups: allowed-address pairs of this prefix
   * length or shorter, per family, are left out of the groups their ports are members
   * of (they still pass the port's anti-spoofing chain). Null: every pair is a member,
   * as Neutron's iptables drivers make it, the seed's pitfall included.
   */
  omitWidePairs: Record<Ethertype, number> | null;
  /** the node's host: when set, the ports bound to it (binding:host_id) are local, the others only group members */
  host: string | null;
  /** false: the node has no IPv6 (is_ipv6_enabled), so Neutron's agent writes no ip6tables (its ipsets stay) */
  useIpv6: boolean;
}

export interface TopologyRule extends RuleInput {
  /** an address-group rule is one TopologyRule per address of its family, each with the rule's id and that address as its prefix */
  id: string;
  normalized_cidr: string | null;
}

export interface TopologyGroup {
  id: string;
  name: string;
  stateful: boolean;
  rules: TopologyRule[];
}

export interface TopologyPort {
  id: string;
  /**
   * the device the input names, if any (the golden harness's port dict): devices are a
   * backend's names, so it derives its own and checks this against them (backends/iptables/naming.ts)
   */
  device: string | undefined;
  network_id: string;
  mac_address: string;
  fixed_ips: string[];
  /** `mac_address` canonical; `stored_mac` as the API stored it (the pair's own spelling, or the port's MAC): the OVS firewall writes that text */
  allowed_address_pairs: { ip_address: string; mac_address: string; stored_mac: string }[];
  security_groups: string[];
  port_security_enabled: boolean;
  device_owner: string;
  local: boolean;
}

export interface Topology {
  options: CompileOptions;
  groups: Map<string, TopologyGroup>;
  ports: TopologyPort[];
}

export class TopologyError extends Error {}

const DEFAULT_NETWORK = '00000000-0000-4000-8000-000000000000';

type Json = Record<string, any>;

function fail(what: string, why: string): never {
  throw new TopologyError(`${what}: ${why}`);
}

/** Runs a model check, turning Neutron's error into one that names the object. */
function neutronCheck<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NeutronError) fail(what, e.message);
    throw e;
  }
}

/**
 * A rule's remote address group, as the fixed Neutron releases (21.2.1+) enforce it: one rule per
 * address of the rule's family, each with that address as its prefix (none: the rule admits nothing).
 * The input names the group's addresses beside its id (`remote_address_group_addresses`, portsec's
 * own key); a rule naming a group without them is refused, never read as admitting any source.
 */
function expandAddressGroup(what: string, r: Json, ethertype: Ethertype): (string | null)[] {
  if (!r.remote_address_group_id) return [null];
  if (!Array.isArray(r.remote_address_group_addresses)) fail(what, `the addresses of remote address group ${r.remote_address_group_id} are not given`);
  if (r.remote_ip_prefix || r.remote_group_id) fail(what, 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.');
  return (r.remote_address_group_addresses as unknown[]).map((a) => neutronCheck(what, () => convertIpPrefix.parse(a)))
    .filter((a) => a !== null && `IPv${parseCidr(a, true)!.family}` === ethertype);
}

function parseRules(groupId: string, rules: Json[]): TopologyRule[] {
  return rules.flatMap((r, i) => parseRule(groupId, r, i));
}

function parseRule(groupId: string, r: Json, index: number): TopologyRule[] {
  const id = typeof r.id === 'string' ? r.id : `${groupId}-rule-${index}`;
  const what = `security group ${groupId} rule ${id}`;
  const direction = r.direction;
  if (direction !== 'ingress' && direction !== 'egress') fail(what, `direction must be ingress or egress, not ${JSON.stringify(direction)}`);
  const ethertypeText = String(r.ethertype ?? 'IPv4').toLowerCase();
  if (ethertypeText !== 'ipv4' && ethertypeText !== 'ipv6') fail(what, `unknown ethertype ${JSON.stringify(r.ethertype)}`);
  const ethertype: Ethertype = ethertypeText === 'ipv4' ? 'IPv4' : 'IPv6';
  const protocol = r.protocol === 'any' ? null : neutronCheck(what, () => convertProtocol.parse(r.protocol ?? null));
  // the API's own converters: ports may be given as strings, "" is no prefix
  const port = (v: unknown) => neutronCheck(what, () => convertPortValue.parse(v));
  const addressGroup: string | null = r.remote_address_group_id || null;
  return expandAddressGroup(what, r, ethertype).map((member) => {
    const prefix = addressGroup ? member : neutronCheck(what, () => convertIpPrefix.parse(r.remote_ip_prefix));
    const canonical = neutronCheck(what, () => canonicalRule({
      direction: direction as Direction, ethertype, protocol,
      port_range_min: port(r.port_range_min), port_range_max: port(r.port_range_max),
      remote_ip_prefix: prefix, remote_group_id: r.remote_group_id ?? null, remote_address_group_id: null,
    }));
    // a literal, not `{ ...canonical, id }`: V8 gave each spread of canonicalRule's clone its own hidden class, so every later read of 200,000 rules was megamorphic
    return {
      direction: canonical.direction, ethertype: canonical.ethertype, protocol: canonical.protocol, port_range_min: canonical.port_range_min,
      port_range_max: canonical.port_range_max, remote_ip_prefix: canonical.remote_ip_prefix, remote_group_id: canonical.remote_group_id,
      remote_address_group_id: addressGroup, id, normalized_cidr: normalizedCidr(canonical.remote_ip_prefix),
    };
  });
}

function parseGroup(g: Json): TopologyGroup {
  if (typeof g?.id !== 'string') fail('security group', 'needs an id');
  const rules = Array.isArray(g.security_group_rules) ? g.security_group_rules : [];
  return { id: g.id, name: String(g.name ?? ''), stateful: g.stateful !== false, rules: parseRules(g.id, rules) };
}

/**
 * A group whose rules are parsed and checked when first read; a problem then is `failure`'s error
 * (bench/audit: a one-off can-reach reads the rules of a few groups of 10,000, parsing all 200,000 cost more than its answer).
 */
function lazyGroup(g: Json, groups: Map<string, TopologyGroup>, failure: (e: TopologyError) => Error): TopologyGroup {
  if (typeof g?.id !== 'string') fail('security group', 'needs an id');
  const id: string = g.id;
  let rules: TopologyRule[] | undefined;
  const parse = () => {
    try {
      const parsed = parseRules(id, Array.isArray(g.security_group_rules) ? g.security_group_rules : []);
      checkRuleReferences(id, parsed, groups);
      return parsed;
    } catch (e) {
      throw e instanceof TopologyError ? failure(e) : e;
    }
  };
  return { id, name: String(g.name ?? ''), stateful: g.stateful !== false, get rules() { return (rules ??= parse()); } };
}

function canonicalIp(what: string, text: unknown): string {
  return canonicalIpText(text) ?? fail(what, `invalid fixed IP ${JSON.stringify(text)}`);
}

export function parsePort(p: Json, host: string | null = null): TopologyPort {
  if (typeof p?.id !== 'string') fail('port', 'needs an id');
  const what = `port ${p.id}`;
  const mac = canonicalMac(p.mac_address) ?? fail(what, `invalid MAC ${JSON.stringify(p.mac_address)}`);
  const fixed = (Array.isArray(p.fixed_ips) ? p.fixed_ips : []).map((f: unknown) => canonicalIp(what, typeof f === 'string' ? f : (f as Json)?.ip_address));
  const pairs = (Array.isArray(p.allowed_address_pairs) ? p.allowed_address_pairs : []).map((a: Json) => {
    const ip = a?.ip_address;
    if (typeof ip !== 'string' || !(ip.includes('/') ? parseCidr(ip) : canonicalIpText(ip))) fail(what, `invalid allowed address pair ${JSON.stringify(a)}`);
    // Neutron's API stores a pair's MAC as written (fa16.3e00.0005 too); its agent reads every spelling as one MAC: canonical here
    const pairMac = a.mac_address === undefined ? mac : canonicalMac(a.mac_address) ?? fail(what, `invalid MAC in allowed address pair ${JSON.stringify(a)}`);
    return { ip_address: ip, mac_address: pairMac, stored_mac: a.mac_address === undefined ? mac : String(a.mac_address) };
  });
  const groups: string[] = Array.isArray(p.security_groups) ? p.security_groups : [];
  const portSecurity = p.port_security_enabled !== false;
  if (!portSecurity && (groups.length || pairs.length)) fail(what, 'security groups or address pairs on a port with port security disabled');
  return {
    id: p.id,
    device: p.device === undefined ? undefined : String(p.device),
    network_id: typeof p.network_id === 'string' ? p.network_id : DEFAULT_NETWORK,
    mac_address: mac,
    fixed_ips: fixed,
    allowed_address_pairs: pairs,
    security_groups: groups,
    port_security_enabled: portSecurity,
    device_owner: typeof p.device_owner === 'string' ? p.device_owner : 'compute:nova',
    local: host === null ? p.local !== false : p['binding:host_id'] === host,
  };
}

export function parseOptions(o: Json = {}, overrides: Partial<CompileOptions> = {}): CompileOptions {
  const named: unknown = overrides.backend ?? o.backend;
  if (named !== undefined && !isNeutronBackend(named)) fail('options', `unknown backend ${JSON.stringify(named)} (${NEUTRON_BACKENDS.join(', ')})`);
  // a driver that is a backend of its own ("openvswitch"): the backend it names, and no iptables driver
  const ownBackend = overrides.driver === undefined ? driverBackend(o.driver) : undefined;
  if (ownBackend) {
    if (named !== undefined && named !== ownBackend) fail('options', `backend ${named} is not driver ${o.driver}`);
    return parseOptions({ ...o, driver: undefined }, { ...overrides, backend: ownBackend });
  }
  const driver = overrides.driver ?? o.driver ?? (named && BACKEND_SEMANTICS[named].iptablesDriver) ?? 'linuxbridge';
  if (driver !== 'linuxbridge' && driver !== 'ovs_hybrid') fail('options', `unknown driver ${JSON.stringify(driver)}`);
  const backend: NeutronBackend = named ?? (driver === 'ovs_hybrid' ? 'iptables_hybrid' : 'iptables');
  const own = BACKEND_SEMANTICS[backend].iptablesDriver;
  if (own && own !== driver) fail('options', `backend ${backend} is the ${own} driver, not ${driver}`);
  return {
    backend,
    driver,
    enableIpset: overrides.enableIpset ?? o.enable_ipset !== false,
    comments: overrides.comments ?? o.comment_iptables_rules !== false,
    sgInfoSource: overrides.sgInfoSource ?? o.sg_info_source ?? BACKEND_SEMANTICS[backend].sgInfoSource,
    omitWidePairs: overrides.omitWidePairs !== undefined ? overrides.omitWidePairs : parseOmitWidePairs(o.omit_wide_pairs),
    host: overrides.host !== undefined ? overrides.host : parseHost(o.host),
    useIpv6: overrides.useIpv6 ?? o.use_ipv6 !== false,
  };
}

function parseHost(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : fail('options', `host must be a string, not ${JSON.stringify(v)}`);
}

/** Safe expansion's prefix lengths, if they are prefix lengths of their families (the CLI flag and topology files share it). */
export function wideLimits(IPv4: unknown, IPv6: unknown): Record<Ethertype, number> | undefined {
  const valid = (n: unknown, max: number) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= max;
  return valid(IPv4, 32) && valid(IPv6, 128) ? { IPv4: IPv4 as number, IPv6: IPv6 as number } : undefined;
}

/** `options.omit_wide_pairs` of a topology file: {"IPv4": 0, "IPv6": 0} (portsec's own option; golden.py has none). */
function parseOmitWidePairs(v: unknown): Record<Ethertype, number> | null {
  if (v === undefined || v === null) return null;
  const { IPv4, IPv6 } = v as Record<string, unknown>;
  return wideLimits(IPv4, IPv6) ?? fail('options', `omit_wide_pairs must be {"IPv4": 0..32, "IPv6": 0..128}, not ${JSON.stringify(v)}`);
}

/**
 * Parses and checks a topology; every error names the object it is about. With `lazyRules`, each group's
 * rules are parsed when first read, and their problems are thrown then, as the error it makes of them.
 */
export function parseTopology(input: Json, overrides: Partial<CompileOptions> = {}, lazyRules?: (e: TopologyError) => Error): Topology {
  const options = parseOptions(input.options, overrides);
  const groups = new Map<string, TopologyGroup>();
  for (const g of Array.isArray(input.security_groups) ? input.security_groups : []) {
    const group = lazyRules ? lazyGroup(g, groups, lazyRules) : parseGroup(g);
    if (groups.has(group.id)) fail(`security group ${group.id}`, 'defined twice');
    groups.set(group.id, group);
  }
  const ports = (Array.isArray(input.ports) ? input.ports : []).map((p: Json) => parsePort(p, options.host));
  if (!lazyRules) for (const g of groups.values()) checkRuleReferences(g.id, g.rules, groups);
  checkPortReferences(groups, ports);
  return { options, groups, ports };
}

function checkRuleReferences(groupId: string, rules: TopologyRule[], groups: Map<string, TopologyGroup>): void {
  for (const r of rules) {
    if (r.remote_group_id && !groups.has(r.remote_group_id)) fail(`security group ${groupId} rule ${r.id}`, `unknown remote group ${r.remote_group_id}`);
  }
}

/** Each port's groups are known and alike in statefulness. */
export function checkPortReferences(groups: Map<string, TopologyGroup>, ports: TopologyPort[]): void {
  for (const p of ports) {
    for (const g of p.security_groups) if (!groups.has(g)) fail(`port ${p.id}`, `unknown security group ${g}`);
    const stateful = groups.get(p.security_groups[0])?.stateful;
    if (p.security_groups.some((g) => groups.get(g)!.stateful !== stateful)) fail(`port ${p.id}`, 'stateful and stateless security groups on one port');
  }
}
