/**
 * IR → kernel state, as Neutron's IptablesFirewallDriver lays it out: shared
 * chains (FORWARD/INPUT jumps, sg-chain, sg-fallback, raw zone rules) and, per
 * filtered port, its ingress, egress and anti-spoofing chains. Each port's
 * share is rendered on its own (a fragment) so a change re-renders one port.
 */
import { cidrText } from '../../model/addresses.js';
import { type Family, FAMILIES, type Member, type PolicyRule, type PortPolicy } from '../../policy/ir.js';
import { compareMembers } from '../../policy/membership.js';
import { type CompileOptions, type Driver } from '../../policy/topology.js';
import { COMMENTS, withComment } from './comments.js';
import { bridgeDevice, ipsetName, physdev, portChain, wrapped, zoneCommentName } from './naming.js';
import { expandedPeer, ipsetRule, plainRule } from './rule-args.js';
import { type Table, type TableName } from './state.js';

/** What one local port contributes to the node. */
export interface Fragment {
  device: string;
  kind: PortPolicy['kind'];
  /** the port's own chains per family */
  chains: Record<Family, Map<string, string[]>>;
  forwardTop: string[];
  forwardBottom: string[];
  sgChain: string[];
  input: string[];
  raw: string[];
}

export interface RenderContext {
  options: CompileOptions;
  /** members of a remote group, per family, as the node knows them */
  members: (groupId: string, family: Family) => Member[];
}

/** The texts every port shares, built once per driver and comment setting. */
interface Texts {
  /** "-m comment --comment ... " (with its trailing space), or nothing when comments are off */
  comment: (c: string) => string;
  wrap: (chain: string) => string;
  established: string;
  invalid: string;
  fallback: string;
  egressBefore: Record<Family, string[]>;
  egressAfter: Record<Family, string[]>;
  icmpv6Ingress: string[];
  pairDrop: string;
}

const textsByOptions = new Map<string, Texts>();

function textsFor(o: CompileOptions): Texts {
  const key = `${o.driver}|${o.comments}`;
  let t = textsByOptions.get(key);
  if (t) return t;
  const text = (rule: string, comment?: string) =>
    // IptablesManager wraps "$chain" targets with the agent's prefix
    withComment(rule, comment, o.comments).replace(/\$([\w-]+)/g, (_, name: string) => wrapped(o.driver, name));
  t = {
    comment: (c) => (o.comments ? `-m comment --comment "${c}" ` : ''),
    wrap: (chain) => wrapped(o.driver, chain),
    established: text('-m state --state RELATED,ESTABLISHED -j RETURN', COMMENTS.ALLOW_ASSOC),
    invalid: text('-m state --state INVALID -j DROP', COMMENTS.INVALID_DROP),
    fallback: text('-j $sg-fallback', COMMENTS.UNMATCHED),
    egressBefore: {
      IPv4: [text('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN', COMMENTS.DHCP_CLIENT)],
      IPv6: ICMPV6_UNSPECIFIED_SOURCE.map((n) => text(`-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type ${n} -j RETURN`, COMMENTS.IPV6_ICMP_ALLOW)),
    },
    egressAfter: {
      IPv4: [
        text('-p udp -m udp --sport 68 --dport 67 -j RETURN', COMMENTS.DHCP_CLIENT),
        text('-p udp -m udp --sport 67 --dport 68 -j DROP', COMMENTS.DHCP_SPOOF),
      ],
      IPv6: [
        text('-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP', COMMENTS.IPV6_RA_DROP),
        text('-p ipv6-icmp -j RETURN', COMMENTS.IPV6_ICMP_ALLOW),
        text('-p udp -m udp --sport 546 --dport 547 -j RETURN', COMMENTS.DHCP_CLIENT),
        text('-p udp -m udp --sport 547 --dport 546 -j DROP', COMMENTS.DHCP_SPOOF),
      ],
    },
    icmpv6Ingress: ICMPV6_INGRESS.map((n) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${n} -j RETURN`),
    pairDrop: text('-j DROP', COMMENTS.PAIR_DROP),
  };
  textsByOptions.set(key, t);
  return t;
}

/** A group rule renders the same for every port that has the group (rules are shared IR objects). */
const groupRuleTexts = new WeakMap<PolicyRule, string>();

function sharedRuleText(r: PolicyRule, render: () => string): string {
  if (r.origin.kind !== 'group') return render();
  let text = groupRuleTexts.get(r);
  if (text === undefined) groupRuleTexts.set(r, (text = render()));
  return text;
}

/** _convert_sgr_to_iptables_rules: established first, each distinct rule once, INVALID drop, fallback. */
function convertRules(ctx: RenderContext, t: Texts, pp: PortPolicy, rules: PolicyRule[]): string[] {
  const out = [t.established];
  // seen_sg_rules: chains hold a handful of rules, a scan beats a Set here
  const push = (text: string) => {
    if (!out.includes(text, 1)) out.push(text);
  };
  for (const r of rules) {
    if (r.remote.kind === 'group') {
      if (ctx.options.enableIpset) {
        const groupId = r.remote.groupId;
        push(sharedRuleText(r, () => ipsetRule(r, ipsetName(groupId, r.ethertype))));
      } else {
        for (const m of ctx.members(r.remote.groupId, r.ethertype)) {
          if (!pp.port.fixed_ips.includes(m.ip)) push(plainRule(r, expandedPeer(m.ip)));
        }
      }
    } else {
      const peer = r.remote.kind === 'prefix' ? r.remote.cidr : null;
      push(sharedRuleText(r, () => plainRule(r, peer)));
    }
  }
  out.push(t.invalid, t.fallback);
  return out;
}

const ICMPV6_INGRESS = [130, 135, 136];
const ICMPV6_UNSPECIFIED_SOURCE = [131, 135, 143];

/** The egress chain's fixed head: DHCP and DAD, the spoof-chain jump, RA and DHCP-server drops. */
function egressHead(t: Texts, family: Family, spoofChain: string | undefined): string[] {
  return [...t.egressBefore[family], ...(spoofChain ? [`-j ${spoofChain}`] : []), ...t.egressAfter[family]];
}

function spoofChain(t: Texts, pp: PortPolicy, family: Family): string[] {
  const allow = `${t.comment(COMMENTS.PAIR_ALLOW)}-j RETURN`;
  return [
    ...pp.spoof[family].map((e) => (e.cidr === null
      ? `-m mac --mac-source ${e.mac} ${allow}`
      : `-s ${cidrText(e.cidr)} -m mac --mac-source ${e.mac} ${allow}`)),
    t.pairDrop,
  ];
}

function zoneRules(driver: Driver, pp: PortPolicy): string[] {
  const p = pp.port;
  const [comment, target] = pp.tracking === 'zone'
    ? [`Set zone for ${zoneCommentName(p)}`, `--zone ${pp.zone}`]
    : [`Make ${zoneCommentName(p)} stateless`, '--notrack'];
  const br = bridgeDevice(driver, p);
  return [`-m physdev --physdev-in ${br}`, `-i ${br}`, `-m physdev --physdev-in ${physdev(driver, p)}`]
    .map((m) => `${m} -m comment --comment "${comment}" -j CT ${target}`);
}

export function renderPort(ctx: RenderContext, pp: PortPolicy): Fragment {
  const { driver } = ctx.options;
  const t = textsFor(ctx.options);
  const dev = physdev(driver, pp.port);
  const frag: Fragment = {
    device: pp.port.device, kind: pp.kind, chains: { IPv4: new Map(), IPv6: new Map() },
    forwardTop: [], forwardBottom: [], sgChain: [], input: [], raw: [],
  };
  const jump = (dir: 'out' | 'in', comment: string, target: string) =>
    `-m physdev --physdev-${dir} ${dev} --physdev-is-bridged ${t.comment(comment)}-j ${target}`;
  if (pp.kind !== 'filtered') {
    const comment = pp.kind === 'trusted' ? COMMENTS.TRUSTED_ACCEPT : COMMENTS.PORT_SEC_ACCEPT;
    frag.forwardBottom.push(jump('out', comment, 'ACCEPT'), jump('in', comment, 'ACCEPT'));
    if (pp.kind === 'unfiltered') frag.input.push(jump('in', comment, 'ACCEPT'));
    return frag;
  }
  frag.raw = zoneRules(driver, pp);
  const [ingress, egress, spoof] = (['i', 'o', 's'] as const).map((k) => portChain(driver, pp.port, k));
  for (const [dir, chain] of [['out', ingress], ['in', egress]] as const) {
    frag.forwardTop.push(jump(dir, COMMENTS.VM_INT_SG, t.wrap('sg-chain')));
    frag.sgChain.push(jump(dir, COMMENTS.SG_TO_VM_SG, chain));
  }
  frag.input.push(jump('in', COMMENTS.INPUT_TO_SG, egress));
  const split: Record<string, PolicyRule[]> = { ingressIPv4: [], ingressIPv6: [], egressIPv4: [], egressIPv6: [] };
  for (const r of pp.rules) split[r.direction + r.ethertype].push(r);
  for (const family of FAMILIES) {
    const hasSpoof = pp.spoof[family].length > 0;
    const chains = frag.chains[family];
    const ingressRules = convertRules(ctx, t, pp, split[`ingress${family}`]);
    // the fixed lines carry comments, so they can repeat a group rule only without comments,
    // except the uncommented ICMPv6 ingress lines
    const dedup = ctx.options.comments ? (r: string[]) => r : keepLast;
    chains.set(ingress, family === 'IPv6' ? keepLast([...t.icmpv6Ingress, ...ingressRules]) : dedup(ingressRules));
    chains.set(egress, dedup([...egressHead(t, family, hasSpoof ? spoof : undefined), ...convertRules(ctx, t, pp, split[`egress${family}`])]));
    // a pair equal to a fixed IP (same MAC) repeats its line
    if (hasSpoof) chains.set(spoof, keepLast(spoofChain(t, pp, family)));
  }
  return frag;
}

/** ipset's text for a member: a /0 becomes its two /1 halves (hash:net cannot hold /0). */
export function ipsetEntries(ip: string): string[] {
  const text = cidrText(ip);
  if (!text.endsWith('/0')) return [text];
  return text.includes(':') ? ['::/1', '8000::/1'] : ['0.0.0.0/1', '128.0.0.0/1'];
}

export const ipsetMemberOrder = (a: string, b: string) => compareMembers({ ip: a, mac: null }, { ip: b, mac: null });

/** IptablesManager keeps one copy of a rule repeated in a chain: the last. */
export function keepLast(rules: string[]): string[] {
  if (new Set(rules).size === rules.length) return rules;
  const last = new Map(rules.map((r, i) => [r, i]));
  return rules.filter((r, i) => last.get(r) === i);
}

const byDevice = (a: Fragment, b: Fragment) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0);

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

/**
 * The chains all ports share (the same in both families): FORWARD and INPUT
 * jumps, sg-chain, the raw zone rules. Filtered ports go by device name (as
 * Neutron sorts them), trusted before port-security-disabled ones, in port order.
 */
export function sharedChains(options: CompileOptions, fragments: Fragment[]): [TableName, string, string[]][] {
  const w = (c: string) => wrapped(options.driver, c);
  const filtered = fragments.filter((f) => f.kind === 'filtered').sort(byDevice);
  const trusted = fragments.filter((f) => f.kind === 'trusted');
  const unfiltered = fragments.filter((f) => f.kind === 'unfiltered');
  return [
    ['filter', w('FORWARD'), [...filtered.flatMap((f) => f.forwardTop), ...[...trusted, ...unfiltered].flatMap((f) => f.forwardBottom)]],
    ['filter', w('INPUT'), [...filtered, ...unfiltered].flatMap((f) => f.input)],
    ['filter', w('sg-chain'), [...filtered.flatMap((f) => f.sgChain), '-j ACCEPT']],
    ['raw', w('PREROUTING'), filtered.flatMap((f) => f.raw)],
  ];
}

const sameLines = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether two fragments put the same lines into the shared chains. */
export function sameShare(a: Fragment | undefined, b: Fragment | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && a.device === b.device && sameLines(a.forwardTop, b.forwardTop) && sameLines(a.forwardBottom, b.forwardBottom)
    && sameLines(a.sgChain, b.sgChain) && sameLines(a.input, b.input) && sameLines(a.raw, b.raw);
}
