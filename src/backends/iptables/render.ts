/**
 * IR → kernel state, as Neutron's IptablesFirewallDriver lays it out: shared
 * chains (FORWARD/INPUT jumps, sg-chain, sg-fallback, raw zone rules) and, per
 * filtered port, its ingress, egress and anti-spoofing chains. Everything is
 * rendered from a port's policy alone (and the remote groups' members), one
 * chain at a time, so a chain can be rendered when it is written out and a
 * change re-renders only the ports it touches.
 */
import { cidrText } from '../../model/addresses.js';
import { isSharedProviderRule } from '../../policy/compile.js';
import { FIXED_RULES, type FixedRule, type FixedRules } from '../../policy/fixed-rules.js';
import { type Family, FAMILIES, type FixedWhat, type Member, type PolicyRule, type PortPolicy } from '../../policy/ir.js';
import { compareAddresses } from '../../policy/membership.js';
import { type CompileOptions, type Driver, type TopologyPort } from '../../policy/topology.js';
import { COMMENTS, withComment } from './comments.js';
import { bridgeDevice, byDevice, ipsetName, physdev, portChain, wrapped, zoneCommentName } from './naming.js';
import { expandedPeer, ipsetRule, plainRule } from './rule-args.js';
import { type Table, type TableName } from './state.js';
import { type PortConntrack } from './zones.js';

export interface RenderContext {
  options: CompileOptions;
  /** members of a remote group, per family, as the node knows them */
  members: (groupId: string, family: Family) => Member[];
  /** a filtered port's tracking and zone (zones.ts) */
  conntrack: (pp: PortPolicy) => PortConntrack;
}

/** A filtered port's own chains, per family (the anti-spoofing one only for a family it has addresses in). */
export type OwnChain = 'ingress' | 'egress' | 'spoof';
export const OWN_CHAINS: OwnChain[] = ['ingress', 'egress', 'spoof'];

/** The chains all ports share (the same in both families), and the table each is in. */
export type SharedChain = 'FORWARD' | 'INPUT' | 'sg-chain' | 'PREROUTING';
export const SHARED_CHAINS: Record<SharedChain, TableName> = { FORWARD: 'filter', INPUT: 'filter', 'sg-chain': 'filter', PREROUTING: 'raw' };

/** A port's own chains' names for one driver. */
type OwnChainNames = Record<OwnChain, string> & { driver: Driver };

// ports are immutable (a change replaces the object): their names are worked out once
const chainNames = new WeakMap<TopologyPort, OwnChainNames>();

export function ownChainNames(driver: Driver, port: TopologyPort): OwnChainNames {
  let names = chainNames.get(port);
  if (names?.driver !== driver) {
    names = { driver, ingress: portChain(driver, port, 'i'), egress: portChain(driver, port, 'o'), spoof: portChain(driver, port, 's') };
    chainNames.set(port, names);
  }
  return names;
}

export const hasOwnChain = (pp: PortPolicy, family: Family, kind: OwnChain) =>
  pp.kind === 'filtered' && (kind !== 'spoof' || pp.spoof[family].length > 0);

/** The texts every port shares, built once per driver and comment setting. */
interface Texts {
  /** "-m comment --comment ... " (with its trailing space), or nothing when comments are off */
  comment: (c: string) => string;
  /** the wrapped sg-chain, the FORWARD jumps' target */
  sgChain: string;
  established: string;
  invalid: string;
  fallback: string;
  /** the IR's fixed lines, rendered */
  fixed: Record<Family, Record<keyof FixedRules, string[]>>;
  pairDrop: string;
}

/** iptables_comments for the driver's fixed lines (the NDP ingress lines have none) */
const FIXED_COMMENTS: Record<FixedWhat, string | undefined> = {
  'dhcp-discovery': COMMENTS.DHCP_CLIENT, dad: COMMENTS.IPV6_ICMP_ALLOW, 'dhcp-request': COMMENTS.DHCP_CLIENT, 'dhcp-reply': COMMENTS.DHCP_SPOOF,
  'router-advertisement': COMMENTS.IPV6_RA_DROP, icmpv6: COMMENTS.IPV6_ICMP_ALLOW, 'dhcpv6-request': COMMENTS.DHCP_CLIENT,
  'dhcpv6-reply': COMMENTS.DHCP_SPOOF, ndp: undefined,
  // the openvswitch firewall's (not rendered here)
  'dhcp-offer': undefined, 'ndp-out': undefined, 'neighbour-advertisement': undefined,
};

/** The fixed lines' texts, made as the other shared lines are (through `text`): every chain copies them. */
function fixedTexts(rules: FixedRules, text: (rule: string, comment?: string) => string): Record<keyof FixedRules, string[]> {
  const line = (r: FixedRule) => text(plainRule(r, r.remote.kind === 'prefix' ? r.remote.cidr : null, r.origin.verdict === 'drop' ? 'DROP' : 'RETURN'), FIXED_COMMENTS[r.origin.what]);
  const texts = (list: readonly FixedRule[]) => list.map(line);
  return { ingress: texts(rules.ingress), beforeSpoof: texts(rules.beforeSpoof), afterSpoof: texts(rules.afterSpoof) };
}

// by the options object itself: looked up for every chain, so no key is built
const textsByOptions = new WeakMap<CompileOptions, Texts>();

function textsFor(o: CompileOptions): Texts {
  let t = textsByOptions.get(o);
  if (t) return t;
  const comments = new Map<string, string>();
  const text = (rule: string, comment?: string) =>
    // IptablesManager wraps "$chain" targets with the agent's prefix
    withComment(rule, comment, o.comments).replace(/\$([\w-]+)/g, (_, name: string) => wrapped(o.driver, name));
  t = {
    comment: (c) => {
      let text = comments.get(c);
      if (text === undefined) comments.set(c, (text = o.comments ? `-m comment --comment "${c}" ` : ''));
      return text;
    },
    sgChain: wrapped(o.driver, 'sg-chain'),
    established: text('-m state --state RELATED,ESTABLISHED -j RETURN', COMMENTS.ALLOW_ASSOC),
    invalid: text('-m state --state INVALID -j DROP', COMMENTS.INVALID_DROP),
    fallback: text('-j $sg-fallback', COMMENTS.UNMATCHED),
    fixed: { IPv4: fixedTexts(FIXED_RULES.IPv4, text), IPv6: fixedTexts(FIXED_RULES.IPv6, text) },
    pairDrop: text('-j DROP', COMMENTS.PAIR_DROP),
  };
  textsByOptions.set(o, t);
  return t;
}

/** A rule object renders to the same text wherever it appears: group rules and most provider rules are shared by ports. */
const ruleTexts = new WeakMap<PolicyRule, string>();

function ruleText(r: PolicyRule, render: (r: PolicyRule) => string): string {
  let text = ruleTexts.get(r);
  if (text === undefined) ruleTexts.set(r, (text = render(r)));
  return text;
}

const plainText = (r: PolicyRule) => plainRule(r, r.remote.kind === 'prefix' ? r.remote.cidr : null);
const ipsetText = (r: PolicyRule) => ipsetRule(r, ipsetName((r.remote as { groupId: string }).groupId, r.ethertype));

type ByDirection<T> = Record<PolicyRule['direction'], Record<Family, T | undefined>>;

/** With ipsets a group rule's text depends on nothing but the rule: ports in the same groups share their groups' lines. */
const groupLines = new WeakMap<readonly PolicyRule[], ByDirection<string[]>>();

/** The distinct texts of one direction and family of a list of group rules (ipsets on), first occurrence kept. */
function groupTexts(rules: readonly PolicyRule[], direction: PolicyRule['direction'], family: Family): string[] {
  let byKind = groupLines.get(rules);
  if (!byKind) groupLines.set(rules, (byKind = { ingress: { IPv4: undefined, IPv6: undefined }, egress: { IPv4: undefined, IPv6: undefined } }));
  let texts = byKind[direction][family];
  if (!texts) {
    const seen = new Set<string>();
    for (const r of rules) if (r.direction === direction && r.ethertype === family) seen.add(ruleText(r, r.remote.kind === 'group' ? ipsetText : plainText));
    byKind[direction][family] = texts = [...seen];
  }
  return texts;
}

/** Whether lines[from..to) hold `text` (seen_sg_rules: chains hold a handful of rules, a scan beats a Set). */
function holds(lines: readonly string[], from: number, to: number, text: string): boolean {
  for (let i = from; i < to; i++) if (lines[i] === text) return true;
  return false;
}

function pushOnce(out: string[], from: number, text: string): void {
  if (!holds(out, from, out.length, text)) out.push(text);
}

/**
 * _convert_sgr_to_iptables_rules: appends the port's rules of one direction and family to `out`,
 * established first, each distinct rule once, then the INVALID drop and the fallback.
 */
function convertRules(ctx: RenderContext, t: Texts, pp: PortPolicy, direction: PolicyRule['direction'], family: Family, out: string[]): string[] {
  out.push(t.established);
  const from = out.length;
  const providers = pp.rules.length - pp.groupRules.length;
  for (let i = 0; i < providers; i++) {
    const r = pp.rules[i];
    // the rest name the port's own address: rendered each time, not cached per rule
    if (r.direction === direction && r.ethertype === family) pushOnce(out, from, isSharedProviderRule(r) ? ruleText(r, plainText) : plainText(r));
  }
  if (ctx.options.enableIpset) {
    // the group lines are distinct already: only the provider lines can repeat one
    const provided = out.length;
    for (const text of groupTexts(pp.groupRules, direction, family)) if (!holds(out, from, provided, text)) out.push(text);
  } else {
    for (const r of pp.groupRules) {
      if (r.direction !== direction || r.ethertype !== family) continue;
      if (r.remote.kind !== 'group') pushOnce(out, from, ruleText(r, plainText));
      else for (const m of ctx.members(r.remote.groupId, family)) if (!pp.port.fixed_ips.includes(m.ip)) pushOnce(out, from, plainRule(r, expandedPeer(m.ip)));
    }
  }
  out.push(t.invalid, t.fallback);
  return out;
}

function spoofChain(t: Texts, pp: PortPolicy, family: Family): string[] {
  const tail = ` ${t.comment(COMMENTS.PAIR_ALLOW)}-j RETURN`;
  // Neutron's driver writes MACs as netaddr.EUI(mac, dialect=mac_iptables) prints them: upper case
  const rules = pp.spoof[family].map((e) => (e.cidr === null
    ? `-m mac --mac-source ${e.mac.toUpperCase()}${tail}`
    : `-s ${cidrText(e.cidr)} -m mac --mac-source ${e.mac.toUpperCase()}${tail}`));
  rules.push(t.pairDrop);
  // a pair equal to a fixed IP (same MAC) repeats its line
  return keepLast(rules);
}

function zoneRules(ctx: RenderContext, pp: PortPolicy): string[] {
  const { driver } = ctx.options;
  const p = pp.port;
  const { tracking, zone } = ctx.conntrack(pp);
  const tail = tracking === 'zone'
    ? ` -m comment --comment "Set zone for ${zoneCommentName(driver, p)}" -j CT --zone ${zone}`
    : ` -m comment --comment "Make ${zoneCommentName(driver, p)} stateless" -j CT --notrack`;
  const br = bridgeDevice(driver, p);
  return [`-m physdev --physdev-in ${br}${tail}`, `-i ${br}${tail}`, `-m physdev --physdev-in ${physdev(p)}${tail}`];
}

/** A port's jump from a shared chain: its device, the comment, the target. */
function jump(t: Texts, dev: string, dir: 'out' | 'in', comment: string, target: string): string {
  return `-m physdev --physdev-${dir} ${dev} --physdev-is-bridged ${t.comment(comment)}-j ${target}`;
}

const asIs = (rules: string[]) => rules;

/** The rules of one of a filtered port's own chains in one family. */
export function renderOwnChain(ctx: RenderContext, pp: PortPolicy, family: Family, kind: OwnChain): string[] {
  const t = textsFor(ctx.options);
  // the fixed lines carry comments, so they can repeat a group rule only without comments,
  // except the uncommented NDP ingress lines
  const dedup = ctx.options.comments ? asIs : keepLast;
  const fixed = t.fixed[family];
  if (kind === 'spoof') return spoofChain(t, pp, family);
  if (kind === 'ingress') {
    return fixed.ingress.length
      ? keepLast(convertRules(ctx, t, pp, 'ingress', family, [...fixed.ingress]))
      : dedup(convertRules(ctx, t, pp, 'ingress', family, []));
  }
  // the egress chain's fixed head: DHCP and DAD, the spoof-chain jump, RA and DHCP-server drops
  const head = [...fixed.beforeSpoof];
  if (hasOwnChain(pp, family, 'spoof')) head.push(`-j ${ownChainNames(ctx.options.driver, pp.port).spoof}`);
  for (const r of fixed.afterSpoof) head.push(r);
  return dedup(convertRules(ctx, t, pp, 'egress', family, head));
}

/** The lines one port puts into a shared chain. */
export function shareLines(ctx: RenderContext, pp: PortPolicy, chain: SharedChain): string[] {
  const { driver } = ctx.options;
  const t = textsFor(ctx.options);
  const dev = physdev(pp.port);
  if (pp.kind !== 'filtered') {
    const comment = pp.kind === 'trusted' ? COMMENTS.TRUSTED_ACCEPT : COMMENTS.PORT_SEC_ACCEPT;
    if (chain === 'FORWARD') return [jump(t, dev, 'out', comment, 'ACCEPT'), jump(t, dev, 'in', comment, 'ACCEPT')];
    return chain === 'INPUT' && pp.kind === 'unfiltered' ? [jump(t, dev, 'in', comment, 'ACCEPT')] : [];
  }
  const names = ownChainNames(driver, pp.port);
  switch (chain) {
    case 'FORWARD': return [jump(t, dev, 'out', COMMENTS.VM_INT_SG, t.sgChain), jump(t, dev, 'in', COMMENTS.VM_INT_SG, t.sgChain)];
    case 'INPUT': return [jump(t, dev, 'in', COMMENTS.INPUT_TO_SG, names.egress)];
    case 'sg-chain': return [jump(t, dev, 'out', COMMENTS.SG_TO_VM_SG, names.ingress), jump(t, dev, 'in', COMMENTS.SG_TO_VM_SG, names.egress)];
    case 'PREROUTING': return zoneRules(ctx, pp);
  }
}

const byPortDevice = (a: PortPolicy, b: PortPolicy) => byDevice(a.port, b.port);

/**
 * One shared chain's rules, from the local ports' policies in port order.
 * Filtered ports go by device name (as Neutron sorts them), then trusted ports,
 * then port-security-disabled ones, in port order.
 */
export function renderSharedChain(ctx: RenderContext, chain: SharedChain, policies: readonly PortPolicy[]): string[] {
  const ordered = [
    ...policies.filter((pp) => pp.kind === 'filtered').sort(byPortDevice),
    ...policies.filter((pp) => pp.kind === 'trusted'),
    ...policies.filter((pp) => pp.kind === 'unfiltered'),
  ];
  const rules: string[] = [];
  for (const pp of ordered) for (const line of shareLines(ctx, pp, chain)) rules.push(line);
  if (chain === 'sg-chain') rules.push('-j ACCEPT');
  return rules;
}

/** Everything one port contributes to the node, rendered: what a change compares. */
export interface Fragment {
  kind: PortPolicy['kind'];
  /** the port's own chains per family, by name */
  chains: Record<Family, Map<string, string[]>>;
  shares: Record<SharedChain, string[]>;
}

export function renderPort(ctx: RenderContext, pp: PortPolicy): Fragment {
  const frag: Fragment = {
    kind: pp.kind, chains: { IPv4: new Map(), IPv6: new Map() },
    shares: { FORWARD: [], INPUT: [], 'sg-chain': [], PREROUTING: [] },
  };
  for (const chain of Object.keys(SHARED_CHAINS) as SharedChain[]) frag.shares[chain] = shareLines(ctx, pp, chain);
  const names = ownChainNames(ctx.options.driver, pp.port);
  for (const family of FAMILIES) {
    for (const kind of OWN_CHAINS) {
      if (hasOwnChain(pp, family, kind)) frag.chains[family].set(names[kind], renderOwnChain(ctx, pp, family, kind));
    }
  }
  return frag;
}

export const sameRules = (a: readonly string[] | undefined, b: readonly string[]) => a === b || (!!a && a.length === b.length && a.every((r, i) => r === b[i]));

/** Whether two fragments put the same lines into the shared chains (in the same place). */
export function sameShare(a: Fragment | undefined, b: Fragment | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind
    && (Object.keys(SHARED_CHAINS) as SharedChain[]).every((c) => sameRules(a.shares[c], b.shares[c]));
}

/** ipset's text for a member: a /0 becomes its two /1 halves (hash:net cannot hold /0). */
export function ipsetEntries(ip: string): string[] {
  const text = cidrText(ip);
  if (!text.endsWith('/0')) return [text];
  return text.includes(':') ? ['::/1', '8000::/1'] : ['0.0.0.0/1', '128.0.0.0/1'];
}

/** ipset entries in member order (as golden prints them). */
export const ipsetMemberOrder = compareAddresses;

/** IptablesManager keeps one copy of a rule repeated in a chain: the last. */
export function keepLast(rules: string[]): string[] {
  if (!hasRepeats(rules)) return rules;
  const last = new Map(rules.map((r, i) => [r, i]));
  return rules.filter((r, i) => last.get(r) === i);
}

// chains hold a handful of rules: a scan allocates nothing
function hasRepeats(rules: string[]): boolean {
  if (rules.length > 32) return new Set(rules).size !== rules.length;
  for (let i = 1; i < rules.length; i++) if (rules.lastIndexOf(rules[i - 1]) >= i) return true;
  return false;
}

/** The chains every node has whatever its ports: built-ins' jumps, top and local, the fallback. */
export function baseTables(options: CompileOptions): Record<TableName, Table> {
  const w = (c: string) => wrapped(options.driver, c);
  return {
    filter: new Map([
      ['INPUT', [`-j ${w('INPUT')}`]],
      ['FORWARD', ['-j neutron-filter-top', `-j ${w('FORWARD')}`]],
      ['OUTPUT', ['-j neutron-filter-top', `-j ${w('OUTPUT')}`]],
      ['neutron-filter-top', [`-j ${w('local')}`]],
      [w('OUTPUT'), []],
      [w('local'), []],
      [w('sg-fallback'), [withComment('-j DROP', COMMENTS.UNMATCH_DROP, options.comments)]],
    ]),
    raw: new Map([
      ['PREROUTING', [`-j ${w('PREROUTING')}`]],
      ['OUTPUT', [`-j ${w('OUTPUT')}`]],
      [w('OUTPUT'), []],
    ]),
  };
}
