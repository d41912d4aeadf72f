/**
 * can-reach: whether a new flow from SRC is delivered to DST, following the
 * packet through what the compute nodes enforce — the source port's
 * anti-spoofing entries and egress chain, then the destination's ingress chain
 * — over the ports' IR; to an address outside the cloud, out through the
 * sender's router. Every path the packet could take is walked to the end, so a
 * denial names every setting that blocks it, not only the first. Without a
 * destination port, one answer per service the rules tell apart (services.ts).
 */
import { canonicalMac, formatIp } from '../model/addresses.js';
import { protocolKeyword } from '../model/protocols.js';
import { type Family, type PolicyRule, type PortPolicy, type SpoofEntry } from '../policy/ir.js';
import { BACKEND_SEMANTICS } from '../policy/neutron-backends.js';
import { type FilterOutcome, type ReachAnswer, type ReachQuery, type ReachStep, type ServiceAnswer, type SpoofMatch } from './answers.js';
import { type Cloud, groupLabel, networkRef, portLabel, portRef } from './cloud.js';
import { type Entry, entryPoints, resolveDestinations, resolveSource } from './endpoints.js';
import { MEMBER_VIA, memberMatch, ruleDetail, unfilteredReason } from './facts.js';
import { fixedEgress, fixedIngress } from './fixed-rules.js';
import { deliveryMatch, firstAdmitting, hasPorts, isIcmp, type Packet, parseAddress, queryProtocol, ruleProtocol, spoofEntry } from './packet.js';
import { rangesText, type Service, services, serviceWords } from './services.js';
import { refLabel } from './report/explain.js';
import { type SnapshotPort } from './snapshot.js';
import { InputError } from './sources/errors.js';

interface Path {
  steps: ReachStep[];
  changes: { why: string; command: string }[];
}

const ok = (p: Path) => p.steps.every((s) => s.ok);

function packetFor(q: ReachQuery, family: Family, src: bigint, dst: bigint): Packet {
  const protocol = queryProtocol(q.protocol);
  if (protocol === undefined) throw new InputError(`protocol ${JSON.stringify(q.protocol)}: give one protocol (tcp, udp, icmp, another name from /etc/protocols, or a number 1-255)`);
  return { family, src, dst, protocol, dport: q.port ?? null, sport: q.sourcePort ?? null };
}

/** The first rule of one direction that admits the packet, as the cloud's nodes expand remote groups. */
const admittingRule = (cloud: Cloud, pp: PortPolicy, direction: 'ingress' | 'egress', pkt: Packet) =>
  firstAdmitting(pp, direction, pkt, cloud.membersAt(pp.port.id), cloud.optionsAt(pp.port.id).enableIpset);

/** What one direction of a filtered port's chain does with the packet after its fixed lines: the first admitting rule, or none. */
function ruleOutcome(cloud: Cloud, pp: PortPolicy, direction: 'ingress' | 'egress', pkt: Packet): FilterOutcome {
  const hit = admittingRule(cloud, pp, direction, pkt);
  if (!hit) return { by: 'no-rule', service: { ethertype: pkt.family, protocol: protocolKeyword(pkt.protocol), port: pkt.dport } };
  const rule = ruleDetail(cloud, hit.rule);
  return hit.member ? { by: 'rule', rule, member: memberMatch(cloud, hit.member.groupId, hit.member.member) } : { by: 'rule', rule };
}

/** Whether the chain lets the packet on: only a missing rule or a fixed drop line stops it. */
const passes = (o: FilterOutcome) => o.by !== 'no-rule' && !(o.by === 'fixed' && o.verdict === 'drop');

const unfiltered = (pp: PortPolicy): FilterOutcome => ({ by: 'unfiltered', reason: unfilteredReason(pp) });

const SPOOF_VIA: Record<SpoofEntry['via'], SpoofMatch['via']> = { ...MEMBER_VIA, link_local: 'link-local', mac_only: 'mac-only' };

/** The source port's anti-spoofing entry that lets the packet out, if any. */
function spoofMatch(pp: PortPolicy, pkt: Packet, hostBitsPin: boolean): SpoofMatch | undefined {
  const entry = spoofEntry(pp, pkt, hostBitsPin);
  return entry && spoofFact(entry);
}

const spoofFact = (entry: SpoofEntry): SpoofMatch => ({ address: entry.cidr, mac: entry.mac, via: SPOOF_VIA[entry.via] });

const fmt = (family: Family, v: bigint) => formatIp(family === 'IPv4' ? 4 : 6, v);

function serviceArgs(q: ReachQuery, pkt: Packet): string {
  const port = pkt.dport === null ? '' : isIcmp(pkt.protocol) ? ` --icmp-type ${pkt.dport}` : ` --dst-port ${pkt.dport}`;
  return `--protocol ${q.protocol}${port}`;
}

/**
 * The source MAC of the frame each chain sees: the sending port's on its way out and, on the
 * destination's network, its own or the router's that forwards it (a MAC-pinned member matches only it).
 */
/** A MAC as the IR holds it, whichever of the API's spellings the snapshot (or the query) has. */
const macText = (mac: string) => canonicalMac(mac) ?? mac.toLowerCase();

function framesFrom(cloud: Cloud, q: ReachQuery, from: SnapshotPort | undefined, dst: SnapshotPort | undefined, pkt: Packet): { egress: Packet; ingress: Packet } {
  if (!from) return { egress: pkt, ingress: pkt };
  const own = { ...pkt, srcMac: macText(q.sourceMac ?? from.mac_address) };
  if (!dst || from.network_id === dst.network_id) return { egress: own, ingress: own };
  const router = sharedRouter(cloud, from.network_id, dst.network_id);
  const iface = router === undefined ? undefined : routerInterfaces(cloud, dst.network_id).find((p) => p.device_id === router);
  return { egress: own, ingress: iface ? { ...pkt, srcMac: macText(iface.mac_address) } : pkt };
}

/** `dst` unset: the destination is outside the cloud (the entry is then the sending port). */
function walk(cloud: Cloud, q: ReachQuery, entry: Entry, dst: SnapshotPort | undefined, sent: Packet): Path {
  const path: Path = { steps: [], changes: [] };
  const frames = framesFrom(cloud, q, entry.port, dst, sent);
  let pkt = frames.egress;
  const srcText = fmt(pkt.family, pkt.src);
  const dstText = fmt(pkt.family, pkt.dst);
  const from = entry.port;
  /** each port's fixed lines, anti-spoofing and delivery are its own node's backend's */
  const semanticsAt = (portId: string) => BACKEND_SEMANTICS[cloud.backendAt(portId).backend];
  const linesAt = (portId: string) => semanticsAt(portId).fixedRules;
  /** whether the sender's fixed line hands the packet to the NORMAL action, past a same-node destination's ingress chain */
  let switched = false;
  path.steps.push({ stage: 'entry', ok: entry.ok, source: entry.source, through: entry.through });
  if (!entry.ok && entry.change) path.changes.push(entry.change);
  if (from) {
    const pp = cloud.policy(from.id);
    const name = portLabel(from);
    const port = portRef(from);
    const egress = (outcome: FilterOutcome) => path.steps.push({ stage: 'egress', ok: passes(outcome), port, peer: dstText, backend: cloud.backendAt(from.id).backend, ...outcome });
    if (pp.kind === 'filtered') {
      const fixed = fixedEgress(pkt, linesAt(from.id), pp);
      switched = !!fixed?.switched;
      if (fixed?.verdict === 'drop') egress({ by: 'fixed', verdict: 'drop', why: fixed.why });
      if (fixed?.verdict !== 'accept-before-spoof') {
        const match = spoofMatch(pp, pkt, semanticsAt(from.id).hostBitsPinAddress);
        path.steps.push(match ? { stage: 'spoof', ok: true, port, source: srcText, entry: match } : { stage: 'spoof', ok: false, port, source: srcText });
        if (!match) path.changes.push({ why: `let ${name} send from ${srcText}`, command: `openstack port set --allowed-address ip-address=${srcText} ${from.id}` });
      }
      if (!fixed) {
        const outcome = ruleOutcome(cloud, pp, 'egress', pkt);
        egress(outcome);
        if (outcome.by === 'no-rule') {
          path.changes.push(...groupsToChange(cloud, from, (g) => `openstack security group rule create --egress --ethertype ${pkt.family} ${serviceArgs(q, pkt)} --remote-ip ${dstText} ${g}`, `let ${name} send it`));
        }
      } else if (fixed.verdict !== 'drop') {
        egress({ by: 'fixed', verdict: 'accept', why: fixed.why });
      }
    } else {
      egress(unfiltered(pp));
    }
  }
  if (!dst) {
    if (from) exit(cloud, from, dstText, path);
    return path;
  }
  if (from && from.network_id !== dst.network_id) {
    const router = sharedRouter(cloud, from.network_id, dst.network_id);
    const to = networkRef(cloud, dst.network_id);
    path.steps.push({ stage: 'network', ok: !!router, from: networkRef(cloud, from.network_id), to, ...(router && { router }) });
    if (!router) path.changes.push({ why: 'connect the two networks', command: `openstack router add subnet <router> <subnet of network ${refLabel(to)}>` });
  }
  pkt = frames.ingress;
  const pp = cloud.policy(dst.id);
  const ingress = (outcome: FilterOutcome) => path.steps.push({ stage: 'ingress', ok: passes(outcome), port: portRef(dst), peer: srcText, backend: cloud.backendAt(dst.id).backend, ...outcome });
  const letIn = pp.kind === 'filtered' ? fixedIngress(pkt, linesAt(dst.id)) : undefined;
  if (pp.kind !== 'filtered') {
    ingress(unfiltered(pp));
  } else if (switched && sameNode(from!, dst)) {
    ingress({ by: 'fixed', verdict: 'accept', why: `switched to it on the same compute node (NORMAL), past its ingress rules` });
  } else if (letIn) {
    ingress({ by: 'fixed', verdict: 'accept', why: `${letIn} (${isIcmp(pkt.protocol) ? `ICMPv6 type ${pkt.dport}` : `${protocolKeyword(pkt.protocol)} ${pkt.sport}->${pkt.dport}`})` });
  } else {
    const outcome = ruleOutcome(cloud, pp, 'ingress', pkt);
    ingress(outcome);
    if (outcome.by === 'no-rule') {
      path.changes.push(...groupsToChange(cloud, dst, (g) => `openstack security group rule create --ingress --ethertype ${pkt.family} ${serviceArgs(q, pkt)} --remote-ip ${srcText} ${g}`, `let ${portLabel(dst)} receive it`));
    }
  }
  if (pp.kind === 'filtered' && semanticsAt(dst.id).destinationCheck) {
    const match = deliveryMatch(pp, pkt, semanticsAt(dst.id).hostBitsPinAddress);
    const port = portRef(dst);
    if (!match) {
      path.steps.push({ stage: 'delivery', ok: false, port, destination: dstText });
      path.changes.push({ why: `let ${portLabel(dst)} receive traffic to ${dstText}`, command: `openstack port set --allowed-address ip-address=${dstText} ${dst.id}` });
    } else {
      path.steps.push('group' in match ? { stage: 'delivery', ok: true, port, destination: dstText, group: match.group }
        : { stage: 'delivery', ok: true, port, destination: dstText, entry: spoofFact(match.entry) });
    }
  }
  return path;
}

/**
 * Out of the cloud from the sender's network: it is external itself, or a router joins it
 * (through its gateway's external network when the snapshot has the gateway port, which
 * only admins see; else the gateway is assumed, and said so).
 */
function exit(cloud: Cloud, from: SnapshotPort, destination: string, path: Path): void {
  const network = networkRef(cloud, from.network_id);
  if (cloud.networks.get(from.network_id)?.['router:external']) {
    path.steps.push({ stage: 'exit', ok: true, from: network, destination, external: network });
    return;
  }
  const routers = [...new Set(routerInterfaces(cloud, from.network_id).map((p) => p.device_id))];
  // of several gateways, the first in the snapshot (only then is every port read)
  const gateways = routers.flatMap((r) => cloud.portsByDevice.get(r) ?? []).filter((p) => p.device_owner === 'network:router_gateway');
  const gateway = gateways.length > 1 ? cloud.snapshot.ports.find((p) => gateways.includes(p)) : gateways[0];
  if (gateway) {
    path.steps.push({ stage: 'exit', ok: true, from: network, destination, router: gateway.device_id, external: networkRef(cloud, gateway.network_id) });
  } else if (routers.length) {
    path.steps.push({ stage: 'exit', ok: true, from: network, destination, router: routers[0], assumed: `router ${routers[0].slice(0, 8)} has an external gateway (the snapshot has no gateway port of it: only admins see them)` });
  } else {
    path.steps.push({ stage: 'exit', ok: false, from: network, destination });
    path.changes.push({ why: `route network ${refLabel(network)} out of the cloud`, command: `openstack router add subnet <router with an external gateway> <subnet of network ${refLabel(network)}>` });
  }
}

/** A rule in any one of the port's groups would do; a port without groups needs one. */
function groupsToChange(cloud: Cloud, port: SnapshotPort, command: (group: string) => string, why: string): { why: string; command: string }[] {
  if (!port.security_groups.length) return [{ why: `${why} (the port has no security group)`, command: `openstack port set --security-group <group with the rule> ${port.id}` }];
  const g = port.security_groups[0];
  return [{ why: `${why} (a rule in any of its groups will do)`, command: command(cloud.groups.get(g)?.name ? groupLabel(cloud, g) : g) }];
}

const routerInterfaces = (cloud: Cloud, net: string) => (cloud.portsOfNetwork.get(net) ?? []).filter((p) => p.device_owner.startsWith('network:router_interface'));

/** Whether two ports are bound to the same compute node, as far as the snapshot says. */
const sameNode = (a: SnapshotPort, b: SnapshotPort) => !!a['binding:host_id'] && a['binding:host_id'] === b['binding:host_id'];

/** A router with an interface on both networks (its ports are network-owned, so unfiltered). */
export function sharedRouter(cloud: Cloud, a: string, b: string): string | undefined {
  const routers = (net: string) => new Set(routerInterfaces(cloud, net).map((p) => p.device_id));
  const onB = routers(b);
  return [...routers(a)].find((r) => onB.has(r));
}

export function canReach(cloud: Cloud, q: ReachQuery): ReachAnswer {
  if (q.sourceMac !== undefined && (typeof q.sourceMac !== 'string' || !canonicalMac(q.sourceMac))) throw new InputError(`source MAC ${JSON.stringify(q.sourceMac)}: not a MAC address`);
  const dsts = resolveDestinations(cloud, q.dst, q.destinationIp);
  const paths: Path[] = [];
  for (const dst of dsts) {
    const src = resolveSource(cloud, q.src, dst, q.sourceIp);
    if (src.family !== dst.family) throw new InputError(`${q.src} is ${src.family} and ${q.dst} is ${dst.family}`);
    const pkt = packetFor(q, dst.family, src.value, dst.value);
    for (const entry of entryPoints(cloud, src, dst.port, pkt)) {
      const path = walk(cloud, q, entry, dst.port, pkt);
      if (ok(path)) return { verdict: 'ALLOW', ...assumedBy(cloud, path.steps), query: q, steps: path.steps, changes: [] };
      paths.push(path);
    }
  }
  const seen = new Set<string>();
  const changes = paths.flatMap((p) => p.changes).filter((c) => !seen.has(c.command) && !!seen.add(c.command));
  const steps = paths.flatMap((p) => p.steps);
  return { verdict: 'DENY', ...assumedBy(cloud, steps), query: q, steps, changes };
}

/** Whether a query is answered per service: no destination port, for a protocol with ports or ICMP. */
export function perService(q: ReachQuery): boolean {
  const protocol = queryProtocol(q.protocol);
  return q.port === undefined && protocol !== undefined && (hasPorts(protocol) || isIcmp(protocol));
}

/** The port asked for "any other port": past the well-known ones (and DHCP's), the first no rule names. */
const OTHER_PORT_FROM = 1024;

/**
 * can-reach for every service that matters: with a destination port (or a protocol without
 * ports, not ICMP) the one answer; without, one per port range (or ICMP type and code) the
 * destination's ingress and the sender's egress rules of the protocol name, cut at every rule's
 * bounds, and one for any other port (or type) — each range answered by one flow, as every rule
 * matches its ports alike.
 */
export function canReachEach(cloud: Cloud, q: ReachQuery): ServiceAnswer[] {
  const protocol = queryProtocol(q.protocol);
  if (!perService(q) || protocol === undefined) return [{ service: `${q.protocol}${q.port === undefined ? '' : `/${q.port}`}`, answer: canReach(cloud, q) }];
  const rules: PolicyRule[] = [];
  let family: Family | undefined;
  for (const dst of resolveDestinations(cloud, q.dst, q.destinationIp)) {
    family = dst.family;
    if (dst.port) rules.push(...cloud.policy(dst.port.id).rules.filter((r) => r.direction === 'ingress'));
    const sender = resolveSource(cloud, q.src, dst, q.sourceIp).port;
    if (sender) rules.push(...cloud.policy(sender.id).rules.filter((r) => r.direction === 'egress'));
  }
  const named = services(family!, rules.filter((r) => ruleProtocol(r.protocol) === protocol)).filter((s) => s.protocol === protocol && s.range);
  const ask = (service: string, port: number, code: number | null = null): ServiceAnswer => ({
    service, answer: canReach(cloud, { ...q, port, ...(code !== null && q.sourcePort === undefined && { sourcePort: code }) }),
  });
  if (isIcmp(protocol)) {
    const types = named.filter((s) => !s.otherTypes).map((s) => ask(`${q.protocol} ${serviceWords(s).ports}`, s.range![0], s.code));
    const other = named.find((s) => s.otherTypes)?.range![0] ?? 0;
    return [...types, ask(`${q.protocol} ${types.length ? 'other types' : 'any type'} (asked with type ${other})`, other)];
  }
  // the ranges some rule names; the rest are alike (only rules without ports match them)
  const covered = (s: Service) => rules.some((r) => ruleProtocol(r.protocol) === protocol && r.portMin !== null && r.portMin <= s.range![0] && s.range![1] <= (r.portMax ?? r.portMin));
  const ranges = named.filter(covered).map((s) => ask(`${q.protocol}/${rangesText([s.range!])}`, s.range![0]));
  const rest = named.filter((s) => !covered(s)).map((s) => s.range!);
  // no rule of the protocol: every port alike
  const other = named.length ? rest.map(([lo]) => Math.max(lo, OTHER_PORT_FROM)).find((p, i) => p <= rest[i][1]) ?? rest[0]?.[0] : OTHER_PORT_FROM;
  return other === undefined ? ranges : [...ranges, ask(`${q.protocol} ${ranges.length ? 'other ports' : 'any port'} (asked at ${other})`, other)];
}

/**
 * The backends the verdict assumed: the sender's for its egress, the receiver's for its ingress, each
 * with why; `backend` is the receiver's (the node that admits or drops the flow last).
 */
function assumedBy(cloud: Cloud, steps: ReachStep[]): Pick<ReachAnswer, 'backend' | 'assumed'> {
  const assumed: ReachAnswer['assumed'] = [];
  for (const s of steps) {
    if ((s.stage !== 'egress' && s.stage !== 'ingress') || assumed.some((a) => a.stage === s.stage && a.port.id === s.port.id)) continue;
    assumed.push({ stage: s.stage, port: s.port, ...cloud.backendAt(s.port.id) });
  }
  const receiver = assumed.find((a) => a.stage === 'ingress') ?? assumed[0];
  return { backend: receiver?.backend ?? cloud.topology.options.backend, assumed };
}

/** Whether one port's new flow of this service reaches another port (both by their first fixed IPs of one family). */
export function admits(cloud: Cloud, from: SnapshotPort, to: SnapshotPort, service: { protocol: string; port?: number }): boolean {
  for (const f of to.fixed_ips) {
    const dst = parseAddress(f.ip_address);
    const src = dst && from.fixed_ips.map((x) => parseAddress(x.ip_address)).find((a) => a?.family === dst.family);
    if (!dst || !src) continue;
    const q: ReachQuery = { src: from.id, dst: to.id, ...service };
    return ok(walk(cloud, q, { port: from, ok: true, source: q.src, through: { kind: 'sender', port: portRef(from) } }, to, packetFor(q, dst.family, src.value, dst.value)));
  }
  return false;
}
