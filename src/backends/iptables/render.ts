/**
 * IR → kernel state, as Neutron's IptablesFirewallDriver lays it out: shared
 * chains (FORWARD/INPUT jumps, sg-chain, sg-fallback, raw zone rules) and, per
 * filtered port, its ingress, egress and anti-spoofing chains. Each port's
 * share is rendered on its own (a fragment) so a change re-renders one port.
 */
import { formatCidr, parseCidr } from '../../model/addresses.js';
import { type Family, FAMILIES, type Member, type PolicyRule, type PortPolicy } from '../../policy/ir.js';
import { compareMembers } from '../../policy/membership.js';
import { type CompileOptions, type Driver } from '../../policy/topology.js';
import { COMMENTS, withComment } from './comments.js';
import { bridgeDevice, ipsetName, physdev, portChain, WRAP, wrapped, zoneCommentName } from './naming.js';
import { expandedPeer, ipsetRule, plainRule } from './rule-args.js';
import { type NodeState, type Table, type TableName } from './state.js';

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

function ruleText(ctx: RenderContext, rule: string, comment?: string): string {
  const c = withComment(rule, comment, ctx.options.comments);
  // IptablesManager wraps "$chain" targets with the agent's prefix
  return c.replace(/\$([\w-]+)/g, (_, name: string) => wrapped(ctx.options.driver, name));
}

/** _convert_sgr_to_iptables_rules: established first, each distinct rule once, INVALID drop, fallback. */
function convertRules(ctx: RenderContext, pp: PortPolicy, rules: PolicyRule[]): string[] {
  const out = [ruleText(ctx, '-m state --state RELATED,ESTABLISHED -j RETURN', COMMENTS.ALLOW_ASSOC)];
  const seen = new Set<string>();
  const push = (text: string) => {
    if (seen.has(text)) return;
    seen.add(text);
    out.push(text);
  };
  for (const r of rules) {
    if (r.remote.kind === 'group') {
      if (ctx.options.enableIpset) {
        push(ipsetRule(r, ipsetName(r.remote.groupId, r.ethertype)));
      } else {
        for (const m of ctx.members(r.remote.groupId, r.ethertype)) {
          if (!pp.port.fixed_ips.includes(m.ip)) push(plainRule(r, expandedPeer(m.ip)));
        }
      }
    } else {
      push(plainRule(r, r.remote.kind === 'prefix' ? r.remote.cidr : null));
    }
  }
  out.push(ruleText(ctx, '-m state --state INVALID -j DROP', COMMENTS.INVALID_DROP));
  out.push(ruleText(ctx, '-j $sg-fallback', COMMENTS.UNMATCHED));
  return out;
}

const ICMPV6_INGRESS = [130, 135, 136];
const ICMPV6_UNSPECIFIED_SOURCE = [131, 135, 143];

/** The fixed head of the egress chain: DHCP and DAD, the spoof-chain jump, RA and DHCP-server drops. */
function egressHead(ctx: RenderContext, family: Family, spoofChain: string | undefined): string[] {
  const jump = spoofChain ? [ruleText(ctx, `-j $${spoofChain}`)] : [];
  if (family === 'IPv4') {
    return [
      ruleText(ctx, '-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN', COMMENTS.DHCP_CLIENT),
      ...jump,
      ruleText(ctx, '-p udp -m udp --sport 68 --dport 67 -j RETURN', COMMENTS.DHCP_CLIENT),
      ruleText(ctx, '-p udp -m udp --sport 67 --dport 68 -j DROP', COMMENTS.DHCP_SPOOF),
    ];
  }
  return [
    ...ICMPV6_UNSPECIFIED_SOURCE.map((t) => ruleText(ctx, `-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`, COMMENTS.IPV6_ICMP_ALLOW)),
    ...jump,
    ruleText(ctx, '-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP', COMMENTS.IPV6_RA_DROP),
    ruleText(ctx, '-p ipv6-icmp -j RETURN', COMMENTS.IPV6_ICMP_ALLOW),
    ruleText(ctx, '-p udp -m udp --sport 546 --dport 547 -j RETURN', COMMENTS.DHCP_CLIENT),
    ruleText(ctx, '-p udp -m udp --sport 547 --dport 546 -j DROP', COMMENTS.DHCP_SPOOF),
  ];
}

function spoofChain(ctx: RenderContext, pp: PortPolicy, family: Family): string[] {
  return [
    ...pp.spoof[family].map((e) => ruleText(ctx,
      e.cidr === null ? `-m mac --mac-source ${e.mac} -j RETURN` : `-s ${formatCidr(parseCidr(e.cidr, true)!)} -m mac --mac-source ${e.mac} -j RETURN`,
      COMMENTS.PAIR_ALLOW)),
    ruleText(ctx, '-j DROP', COMMENTS.PAIR_DROP),
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
  const dev = physdev(driver, pp.port);
  const frag: Fragment = {
    device: pp.port.device, kind: pp.kind, chains: { IPv4: new Map(), IPv6: new Map() },
    forwardTop: [], forwardBottom: [], sgChain: [], input: [], raw: [],
  };
  const jump = (dir: 'out' | 'in', target: string) => `-m physdev --physdev-${dir} ${dev} --physdev-is-bridged -j ${target}`;
  if (pp.kind !== 'filtered') {
    const comment = pp.kind === 'trusted' ? COMMENTS.TRUSTED_ACCEPT : COMMENTS.PORT_SEC_ACCEPT;
    frag.forwardBottom.push(ruleText(ctx, jump('out', 'ACCEPT'), comment), ruleText(ctx, jump('in', 'ACCEPT'), comment));
    if (pp.kind === 'unfiltered') frag.input.push(ruleText(ctx, jump('in', 'ACCEPT'), comment));
    return frag;
  }
  frag.raw = zoneRules(driver, pp);
  const [ingress, egress, spoof] = (['i', 'o', 's'] as const).map((k) => portChain(driver, pp.port, k));
  for (const [dir, chain] of [['out', ingress], ['in', egress]] as const) {
    frag.forwardTop.push(ruleText(ctx, jump(dir, '$sg-chain'), COMMENTS.VM_INT_SG));
    frag.sgChain.push(ruleText(ctx, jump(dir, chain), COMMENTS.SG_TO_VM_SG));
  }
  frag.input.push(ruleText(ctx, jump('in', egress), COMMENTS.INPUT_TO_SG));
  for (const family of FAMILIES) {
    const ofFamily = (direction: string) => pp.rules.filter((r) => r.direction === direction && r.ethertype === family);
    const hasSpoof = pp.spoof[family].length > 0;
    const chains = frag.chains[family];
    chains.set(ingress, [
      ...(family === 'IPv6' ? ICMPV6_INGRESS.map((t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`) : []),
      ...convertRules(ctx, pp, ofFamily('ingress')),
    ]);
    chains.set(egress, [...egressHead(ctx, family, hasSpoof ? spoof.slice(WRAP[driver].length + 1) : undefined), ...convertRules(ctx, pp, ofFamily('egress'))]);
    if (hasSpoof) chains.set(spoof, spoofChain(ctx, pp, family));
  }
  return frag;
}

/** ipset's text for a member: a /0 becomes its two /1 halves (hash:net cannot hold /0). */
export function ipsetEntries(ip: string): string[] {
  const c = parseCidr(ip, true)!;
  if (c.prefixlen === 0) return c.family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
  return [formatCidr(c)];
}

export const ipsetMemberOrder = (a: string, b: string) => compareMembers({ ip: a, mac: null }, { ip: b, mac: null });

const byDevice = (a: Fragment, b: Fragment) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0);

/** The node's tables from its ports' fragments (filtered ports by device name, others in their order). */
export function assemble(options: CompileOptions, fragments: Fragment[]): NodeState['tables'] {
  const w = (c: string) => wrapped(options.driver, c);
  const filtered = fragments.filter((f) => f.kind === 'filtered').sort(byDevice);
  const trusted = fragments.filter((f) => f.kind === 'trusted');
  const unfiltered = fragments.filter((f) => f.kind === 'unfiltered');
  const tables = {} as NodeState['tables'];
  for (const family of FAMILIES) {
    const filter: Table = new Map([
      ['INPUT', [`-j ${w('INPUT')}`]],
      ['FORWARD', ['-j neutron-filter-top', `-j ${w('FORWARD')}`]],
      ['OUTPUT', ['-j neutron-filter-top', `-j ${w('OUTPUT')}`]],
      ['neutron-filter-top', [`-j ${w('local')}`]],
      [w('FORWARD'), [...filtered.flatMap((f) => f.forwardTop), ...[...trusted, ...unfiltered].flatMap((f) => f.forwardBottom)]],
      [w('INPUT'), [...filtered, ...unfiltered].flatMap((f) => f.input)],
      [w('OUTPUT'), []],
      [w('local'), []],
      [w('sg-chain'), [...filtered.flatMap((f) => f.sgChain), '-j ACCEPT']],
      [w('sg-fallback'), [withComment('-j DROP', COMMENTS.UNMATCH_DROP, options.comments)]],
    ]);
    for (const f of filtered) for (const [name, rules] of f.chains[family]) filter.set(name, rules);
    const raw: Table = new Map([
      ['PREROUTING', [`-j ${w('PREROUTING')}`]],
      ['OUTPUT', [`-j ${w('OUTPUT')}`]],
      [w('OUTPUT'), []],
      [w('PREROUTING'), filtered.flatMap((f) => f.raw)],
    ]);
    tables[family] = { filter, raw } as Record<TableName, Table>;
  }
  return tables;
}
