/**
 * (c) keepalived-style VIP pairs: ports that exchange VRRP (IP protocol 112)
 * are peers; a VIP (a host allowed-address pair) one peer holds and another
 * lacks breaks failover, and holders of one VIP that cannot exchange VRRP
 * both become master. Holders and peers as the IR has them: a port's
 * anti-spoofing entries and its groups' rules.
 */
import { type Finding, type Found } from '../answers.js';
import { type Candidate, type FlowChange } from '../fix/types.js';
import { type Cloud, portLabel, portRef, push } from '../cloud.js';
import { parseAddress, prefixLength, ruleProtocol } from '../packet.js';
import { admits } from '../reach.js';
import { type SnapshotPort } from '../snapshot.js';

/** VRRP's protocol number, as a query names it */
const VRRP = '112';

/** The host addresses the port's anti-spoofing lets it send from through a pair (only filtered ports have such entries: the rest send from anything). */
function hostPairs(cloud: Cloud, p: SnapshotPort): string[] {
  if (!p.allowed_address_pairs.length) return [];
  const spoof = cloud.policy(p.id).spoof;
  return [...spoof.IPv4, ...spoof.IPv6].filter((e) => e.via === 'address_pair' && e.cidr !== null
    && (!e.cidr.includes('/') || prefixLength(e.cidr) === (e.cidr.includes(':') ? 128 : 32))).map((e) => e.cidr!);
}
const vipText = (ip: string) => ip.split('/')[0];
const admitsVrrp = (cloud: Cloud, from: SnapshotPort, to: SnapshotPort) => admits(cloud, from, to, { protocol: VRRP });

export function vipFindings(cloud: Cloud): Found[] {
  const findings: Found[] = [];
  // whether a group's IR rules include one for VRRP itself (not only "any protocol"): found once, as every port of a VIP's network is
  // asked about, and only for the groups such ports hold (bench/audit: reading every group's rules parsed half of 200,000 rules for nothing)
  const vrrpOfGroup = new Map<string, boolean>();
  const groupNamesVrrp = (g: string) => {
    let names = vrrpOfGroup.get(g);
    if (names === undefined) vrrpOfGroup.set(g, (names = cloud.groupRules(g).some((r) => String(ruleProtocol(r.protocol)) === VRRP)));
    return names;
  };
  // the ports whose rules are in force and name VRRP
  const namesVrrp = (p: SnapshotPort) => p.security_groups.some(groupNamesVrrp) && cloud.kind(p.id) === 'filtered';
  const holders = new Map<string, SnapshotPort[]>();
  for (const p of cloud.snapshot.ports) {
    for (const ip of hostPairs(cloud, p)) {
      const key = `${p.network_id}|${vipText(ip)}`;
      push(holders, key, p);
    }
  }
  for (const [key, ports] of holders) {
    const vip = key.split('|')[1];
    if (!parseAddress(vip)) continue;
    // peers: ports on the VIP's network whose groups name VRRP and that exchange it with a holder both ways
    const peers = (cloud.portsOfNetwork.get(ports[0].network_id) ?? []).filter((p) => !ports.includes(p)
      && p.fixed_ips.length && namesVrrp(p) && ports.some((h) => admitsVrrp(cloud, h, p) && admitsVrrp(cloud, p, h)));
    for (const p of peers) {
      findings.push({
        check: 'vip-pair-missing',
        severity: 'high',
        title: `${portLabel(p)} exchanges VRRP with the holders of VIP ${vip} but lacks it as an allowed-address pair`,
        objects: [portRef(p), ...ports.map(portRef)],
        key: [p.id, vip],
        evidence: [`VIP ${vip} is a pair on ${ports.map((h) => portLabel(h)).join(', ')}`, `${portLabel(p)} and ${ports.map((h) => portLabel(h)).join(', ')} admit VRRP from each other, so keepalived can make ${portLabel(p)} master`, `as master, ${portLabel(p)}'s anti-spoofing drops every packet from ${vip}`],
      });
    }
    if (ports.length < 2) continue;
    for (const a of ports) {
      for (const b of ports) {
        if (a === b || admitsVrrp(cloud, a, b)) continue;
        findings.push({
          check: 'vip-without-vrrp',
          severity: 'high',
          title: `VIP ${vip}: ${portLabel(b)} drops VRRP from ${portLabel(a)}`,
          objects: [portRef(a), portRef(b)],
          key: [a.id, b.id, vip],
          evidence: [`${portLabel(a)} and ${portLabel(b)} both hold VIP ${vip} as an allowed-address pair`, `no egress rule of ${portLabel(a)} and ingress rule of ${portLabel(b)} pair admits IP protocol 112 (VRRP) between them: both become master and the VIP flaps or splits`],
        });
      }
    }
  }
  return findings;
}

const ANY: Record<'IPv4' | 'IPv6', string> = { IPv4: '0.0.0.0/0', IPv6: '::/0' };

/** The VIP the holders share and the peer lacks, as the peer's new pair: flows to and from the VIP through the peer are what it restores. */
export function addVipFixes(cloud: Cloud, f: Finding): Candidate[] {
  const [peer, ...held] = f.objects.map((o) => cloud.ports.get(o.id)).filter((p): p is SnapshotPort => !!p);
  if (!peer || !held.length) return [];
  const shared = hostPairs(cloud, held[0]).map(vipText).filter((ip) => held.every((h) => hostPairs(cloud, h).map(vipText).includes(ip)) && !hostPairs(cloud, peer).map(vipText).includes(ip));
  return shared.flatMap((vip): Candidate[] => {
    const family = vip.includes(':') ? 'IPv6' : 'IPv4';
    const flows = (x: Partial<FlowChange>): FlowChange => ({ destination: { address: ANY[family], ports: [] }, ethertype: family, protocol: 'any', ports: 'any', sources: [ANY[family]], senders: [], ...x });
    return [{
      kind: 'add-vip-pair',
      title: `give ${portLabel(peer)} VIP ${vip} as an allowed-address pair, as its VRRP peers have it`,
      caveats: [],
      actions: [{ op: 'set-port-pairs', port: peer.id, pairs: [...peer.allowed_address_pairs, { ip_address: vip }] }],
      // the VIP, held by the peer too: traffic to it, and from it by its holders
      restores: [flows({ destination: { address: vip, ports: [] } }), flows({ sources: [vip], senders: [peer, ...held].map(portRef) })],
    }];
  });
}

/** VRRP admitted from the other holder's fixed IPs by the dropping holder's group; opens VRRP from that holder only. */
export function admitVrrpFixes(cloud: Cloud, f: Finding): Candidate[] {
  const [a, b] = f.objects.map((o) => cloud.ports.get(o.id));
  if (!a || !b || !b.security_groups.length) return [];
  const group = b.security_groups[0];
  const rules = a.fixed_ips.map((ip) => ip.ip_address).map((ip) => ({ ip, family: ip.includes(':') ? 'IPv6' as const : 'IPv4' as const }));
  return [{
    kind: 'admit-vrrp',
    title: `admit VRRP from ${portLabel(a)}'s fixed IPs in group ${cloud.groups.get(group)?.name || group} of ${portLabel(b)}`,
    caveats: [],
    actions: rules.map(({ ip, family }) => ({ op: 'create-rule', group: { id: group }, rule: { direction: 'ingress', ethertype: family, protocol: VRRP, port_range_min: null, port_range_max: null, remote_ip_prefix: `${ip}/${family === 'IPv4' ? 32 : 128}`, remote_group: null, description: `VRRP from ${portLabel(a)}` } })),
    restores: rules.map(({ ip, family }) => ({ destination: { address: ANY[family], ports: [portRef(b)] }, ethertype: family, protocol: 'vrrp', ports: 'any', sources: [ip], senders: [portRef(a)] })),
  }];
}
