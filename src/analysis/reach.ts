/**
 * can-reach: whether a new flow from SRC is delivered to DST, following the
 * packet through what the compute nodes enforce — the source port's
 * anti-spoofing entries and egress chain, then the destination's ingress chain
 * — over the ports' IR. Every path the packet could take is walked to the end,
 * so a denial names every setting that blocks it, not only the first.
 */
import { formatIp } from '../model/addresses.js';
import { type Family, type Member, type PolicyRule, type PortPolicy } from '../policy/ir.js';
import { type ObjectRef, type ReachAnswer, type ReachQuery, type ReachStep } from './answers.js';
import { type Cloud, groupLabel, portLabel, portRef, groupRef } from './cloud.js';
import { type Entry, entryPoints, resolveDestinations, resolveSource } from './endpoints.js';
import { fixedEgress, fixedIngress } from './fixed-rules.js';
import { firstAdmitting, isProtocol, type Packet, parseAddress, protocolName, spoofEntry } from './packet.js';
import { type SnapshotPort } from './snapshot.js';
import { InputError } from './sources/errors.js';

interface Path {
  steps: ReachStep[];
  changes: { why: string; command: string }[];
}

const ok = (p: Path) => p.steps.every((s) => s.ok);

function packetFor(q: ReachQuery, family: Family, src: bigint, dst: bigint): Packet {
  const protocol = protocolName(q.protocol);
  if (!protocol || !isProtocol(protocol)) throw new InputError(`protocol ${JSON.stringify(q.protocol)}: give one protocol (tcp, udp, icmp, another name from /etc/protocols, or a number 1-255)`);
  return { family, src, dst, protocol, dport: q.port ?? null, sport: q.sourcePort ?? null };
}

/** The first rule of one direction that admits the packet, as the cloud's nodes expand remote groups. */
const admittingRule = (cloud: Cloud, pp: PortPolicy, direction: 'ingress' | 'egress', pkt: Packet) =>
  firstAdmitting(pp, direction, pkt, cloud.members, cloud.topology.options.enableIpset);

function ruleText(cloud: Cloud, r: PolicyRule): string {
  const service = [r.protocol ?? 'any protocol', r.portMin === null ? '' : r.portMin === r.portMax || r.portMax === null ? `/${r.portMin}` : `/${r.portMin}-${r.portMax}`].join('');
  const remote = r.remote.kind === 'any' ? 'anywhere' : r.remote.kind === 'prefix' ? r.remote.cidr : `remote group ${groupLabel(cloud, r.remote.groupId)}`;
  const where = r.origin.kind === 'group' ? `rule ${r.origin.ruleId.slice(0, 8)} of group ${groupLabel(cloud, r.origin.groupId)}` : `Neutron's ${r.origin.what} rule`;
  return `${r.ethertype} ${service} ${r.direction === 'ingress' ? 'from' : 'to'} ${remote} (${where})`;
}

function ruleObjects(cloud: Cloud, r: PolicyRule): ObjectRef[] {
  return r.origin.kind === 'group' ? [groupRef(cloud, r.origin.groupId), { type: 'security_group_rule', id: r.origin.ruleId }] : [];
}

function memberStep(cloud: Cloud, groupId: string, m: Member, peerText: string): ReachStep {
  const port = cloud.ports.get(m.portId)!;
  return {
    stage: 'member', ok: true,
    text: `${peerText} matches group ${groupLabel(cloud, groupId)}'s member ${portLabel(port)} via ${m.via === 'address_pair' ? 'allowed-address-pair' : 'fixed IP'} ${m.ip}`,
    objects: [portRef(port), groupRef(cloud, groupId)],
  };
}

const fmt = (family: Family, v: bigint) => formatIp(family === 'IPv4' ? 4 : 6, v);

function serviceArgs(q: ReachQuery, pkt: Packet): string {
  const port = pkt.dport === null ? '' : pkt.protocol === 'icmp' || pkt.protocol === 'ipv6-icmp' ? ` --icmp-type ${pkt.dport}` : ` --dst-port ${pkt.dport}`;
  return `--protocol ${q.protocol}${port}`;
}

/** The source port's anti-spoofing entry that lets the packet out, if any. */
function spoofStep(pp: PortPolicy, pkt: Packet, srcText: string): ReachStep {
  const port = pp.port;
  const entry = spoofEntry(pp, pkt);
  const label = `port ${port.id.slice(0, 8)}`;
  if (!entry) {
    return { stage: 'spoof', ok: false, text: `anti-spoofing on ${label} drops source ${srcText}: neither a fixed IP nor an allowed-address-pair (with the port's MAC) covers it`, objects: [] };
  }
  const via = entry.via === 'address_pair' ? `allowed-address-pair ${entry.cidr}` : entry.via === 'fixed_ip' ? `fixed IP ${entry.cidr}` : entry.via === 'link_local' ? `link-local ${entry.cidr}` : 'its MAC (no fixed IP)';
  return { stage: 'spoof', ok: true, text: `anti-spoofing on ${label} lets source ${srcText} out via ${via}`, objects: [] };
}

function walk(cloud: Cloud, q: ReachQuery, entry: Entry, dst: SnapshotPort, pkt: Packet): Path {
  const path: Path = { steps: [], changes: [] };
  const srcText = fmt(pkt.family, pkt.src);
  const dstText = fmt(pkt.family, pkt.dst);
  const from = entry.port;
  path.steps.push({ stage: 'entry', ok: entry.ok, text: entry.text, objects: from ? [portRef(from)] : [] });
  if (!entry.ok && entry.change) path.changes.push(entry.change);
  if (from) {
    const pp = cloud.policy(from.id);
    const name = portLabel(from);
    if (pp.kind === 'filtered') {
      const fixed = fixedEgress(pkt);
      if (fixed?.verdict === 'drop') path.steps.push({ stage: 'egress', ok: false, text: `${name}'s egress chain drops it: ${fixed.why}`, objects: [portRef(from)] });
      if (fixed?.verdict !== 'accept-before-spoof') {
        const s = spoofStep(pp, pkt, srcText);
        s.text = s.text.replace(`port ${from.id.slice(0, 8)}`, name);
        s.objects = [portRef(from)];
        path.steps.push(s);
        if (!s.ok) path.changes.push({ why: `let ${name} send from ${srcText}`, command: `openstack port set --allowed-address ip-address=${srcText} ${from.id}` });
      }
      if (!fixed) {
        const hit = admittingRule(cloud, pp, 'egress', pkt);
        if (hit) {
          path.steps.push({ stage: 'egress', ok: true, text: `${name} egress allows it: ${ruleText(cloud, hit.rule)}`, objects: [portRef(from), ...ruleObjects(cloud, hit.rule)] });
          if (hit.member) path.steps.push(memberStep(cloud, hit.member.groupId, hit.member.member, `destination ${dstText}`));
        } else {
          path.steps.push({ stage: 'egress', ok: false, text: `${name} egress has no rule for ${pkt.family} ${pkt.protocol}${pkt.dport === null ? '' : `/${pkt.dport}`} to ${dstText}`, objects: [portRef(from)] });
          path.changes.push(...groupsToChange(cloud, from, (g) => `openstack security group rule create --egress --ethertype ${pkt.family} ${serviceArgs(q, pkt)} --remote-ip ${dstText} ${g}`, `let ${name} send it`));
        }
      } else if (fixed.verdict !== 'drop') {
        path.steps.push({ stage: 'egress', ok: true, text: `${name}'s egress chain returns it before its rules: ${fixed.why}`, objects: [portRef(from)] });
      }
    } else {
      path.steps.push({ stage: 'egress', ok: true, text: `${name} is not filtered (${pp.kind === 'trusted' ? 'a network-owned port' : 'port security disabled'})`, objects: [portRef(from)] });
    }
  }
  if (from && from.network_id !== dst.network_id) {
    const routed = sharedRouter(cloud, from.network_id, dst.network_id);
    path.steps.push({ stage: 'network', ok: !!routed, text: routed ? `routed by router ${routed.slice(0, 8)} to ${networkName(cloud, dst.network_id)}` : `${networkName(cloud, from.network_id)} and ${networkName(cloud, dst.network_id)} share no router`, objects: [] });
    if (!routed) path.changes.push({ why: 'connect the two networks', command: `openstack router add subnet <router> <subnet of ${networkName(cloud, dst.network_id)}>` });
  }
  const pp = cloud.policy(dst.id);
  const name = portLabel(dst);
  if (pp.kind !== 'filtered') {
    path.steps.push({ stage: 'ingress', ok: true, text: `${name} is not filtered (${pp.kind === 'trusted' ? 'a network-owned port' : 'port security disabled'})`, objects: [portRef(dst)] });
    return path;
  }
  if (fixedIngress(pkt)) {
    path.steps.push({ stage: 'ingress', ok: true, text: `${name}'s ingress chain returns ICMPv6 ${pkt.dport} before its rules`, objects: [portRef(dst)] });
    return path;
  }
  const hit = admittingRule(cloud, pp, 'ingress', pkt);
  if (hit) {
    path.steps.push({ stage: 'ingress', ok: true, text: `${name} ingress allows it: ${ruleText(cloud, hit.rule)}`, objects: [portRef(dst), ...ruleObjects(cloud, hit.rule)] });
    if (hit.member) path.steps.push(memberStep(cloud, hit.member.groupId, hit.member.member, `source ${srcText}`));
  } else {
    path.steps.push({ stage: 'ingress', ok: false, text: `${name} ingress has no rule for ${pkt.family} ${pkt.protocol}${pkt.dport === null ? '' : `/${pkt.dport}`} from ${srcText}`, objects: [portRef(dst)] });
    path.changes.push(...groupsToChange(cloud, dst, (g) => `openstack security group rule create --ingress --ethertype ${pkt.family} ${serviceArgs(q, pkt)} --remote-ip ${srcText} ${g}`, `let ${name} receive it`));
  }
  return path;
}

/** A rule in any one of the port's groups would do; a port without groups needs one. */
function groupsToChange(cloud: Cloud, port: SnapshotPort, command: (group: string) => string, why: string): { why: string; command: string }[] {
  if (!port.security_groups.length) return [{ why: `${why} (the port has no security group)`, command: `openstack port set --security-group <group with the rule> ${port.id}` }];
  const g = port.security_groups[0];
  return [{ why: `${why} (a rule in any of its groups will do)`, command: command(cloud.groups.get(g)?.name ? groupLabel(cloud, g) : g) }];
}

function networkName(cloud: Cloud, id: string): string {
  return `network ${cloud.networks.get(id)?.name || id.slice(0, 8)}`;
}

/** A router with an interface on both networks (its ports are network-owned, so unfiltered). */
function sharedRouter(cloud: Cloud, a: string, b: string): string | undefined {
  const routers = (net: string) => new Set((cloud.portsOfNetwork.get(net) ?? []).filter((p) => p.device_owner.startsWith('network:router_interface')).map((p) => p.device_id));
  const onB = routers(b);
  return [...routers(a)].find((r) => onB.has(r));
}

export function canReach(cloud: Cloud, q: ReachQuery): ReachAnswer {
  const dsts = resolveDestinations(cloud, q.dst);
  const paths: Path[] = [];
  for (const dst of dsts) {
    const src = resolveSource(cloud, q.src, dst, q.sourceIp);
    if (src.family !== dst.family) throw new InputError(`${q.src} is ${src.family} and ${q.dst} is ${dst.family}`);
    const pkt = packetFor(q, dst.family, src.value, dst.value);
    for (const entry of entryPoints(cloud, src, dst.port, pkt)) {
      const path = walk(cloud, q, entry, dst.port, pkt);
      if (ok(path)) return { verdict: 'ALLOW', query: q, steps: path.steps, changes: [] };
      paths.push(path);
    }
  }
  const seen = new Set<string>();
  const changes = paths.flatMap((p) => p.changes).filter((c) => !seen.has(c.command) && !!seen.add(c.command));
  return { verdict: 'DENY', query: q, steps: paths.flatMap((p) => p.steps), changes };
}

/** Whether one port's new flow of this service reaches another port (both by their first fixed IPs of one family). */
export function admits(cloud: Cloud, from: SnapshotPort, to: SnapshotPort, service: { protocol: string; port?: number }): boolean {
  for (const f of to.fixed_ips) {
    const dst = parseAddress(f.ip_address);
    const src = dst && from.fixed_ips.map((x) => parseAddress(x.ip_address)).find((a) => a?.family === dst.family);
    if (!dst || !src) continue;
    const q: ReachQuery = { src: from.id, dst: to.id, ...service };
    return ok(walk(cloud, q, { port: from, ok: true, text: '' }, to, packetFor(q, dst.family, src.value, dst.value)));
  }
  return false;
}
