/**
 * The membership index: which addresses each security group stands for when
 * a rule names it as remote group. Neutron's server path takes every fixed IP
 * (without MAC) and every address pair (with its MAC) of every member port that
 * has at least one fixed IP; the OVS agent's cache takes fixed IPs with the
 * port's MAC and pairs even of ports without fixed IPs. Updated per port, so a
 * one-port change touches only that port's groups.
 */
import { parseCidr } from '../model/addresses.js';
import { type Family, type Member } from './ir.js';
import { type SgInfoSource, type TopologyPort } from './topology.js';

const familyOf = (ip: string): Family => (ip.includes(':') ? 'IPv6' : 'IPv4');

type AddressKey = [number, bigint, number, string];
const keys = new Map<string, AddressKey>();

/** golden's (and so Neutron's observable) member order: version, address, prefix length, text, MAC */
export function addressKey(ip: string): AddressKey {
  let k = keys.get(ip);
  if (!k) {
    const c = parseCidr(ip, true)!;
    keys.set(ip, (k = [c.family, c.address, c.prefixlen, ip]));
  }
  return k;
}

export function compareMembers(a: { ip: string; mac: string | null }, b: { ip: string; mac: string | null }): number {
  const x = addressKey(a.ip);
  const y = addressKey(b.ip);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  const ma = a.mac ?? '';
  const mb = b.mac ?? '';
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

/** The member entries one port contributes to each of its groups. */
export function portMembers(p: TopologyPort, source: SgInfoSource): Member[] {
  if (source === 'server_rpc' && p.fixed_ips.length === 0) return [];
  const fixedMac = source === 'server_rpc' ? null : p.mac_address;
  return [
    ...p.fixed_ips.map((ip): Member => ({ ip, mac: fixedMac, portId: p.id, via: 'fixed_ip' })),
    ...p.allowed_address_pairs.map((a): Member => ({ ip: a.ip_address, mac: a.mac_address, portId: p.id, via: 'address_pair' })),
  ];
}

export class MembershipIndex {
  private readonly byGroup = new Map<string, Map<string, Member[]>>();
  private readonly groupsOfPort = new Map<string, string[]>();

  constructor(private readonly source: SgInfoSource) {}

  /** Sets (or, with `port` undefined, removes) one port; returns the groups whose members changed. */
  setPort(portId: string, port: TopologyPort | undefined): Set<string> {
    const changed = new Set<string>();
    for (const g of this.groupsOfPort.get(portId) ?? []) {
      this.byGroup.get(g)?.delete(portId);
      changed.add(g);
    }
    this.groupsOfPort.delete(portId);
    if (port) {
      const members = portMembers(port, this.source);
      for (const g of port.security_groups) {
        if (!this.byGroup.has(g)) this.byGroup.set(g, new Map());
        this.byGroup.get(g)!.set(portId, members);
        changed.add(g);
      }
      this.groupsOfPort.set(portId, [...port.security_groups]);
    }
    return changed;
  }

  /** The group's members of one family: (ip, MAC) pairs once each, in member order. */
  members(groupId: string, family: Family): Member[] {
    const seen = new Set<string>();
    const out: Member[] = [];
    for (const list of this.byGroup.get(groupId)?.values() ?? []) {
      for (const m of list) {
        if (familyOf(m.ip) !== family) continue;
        const key = `${m.ip}|${m.mac}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(m);
      }
    }
    return out.sort(compareMembers);
  }
}
