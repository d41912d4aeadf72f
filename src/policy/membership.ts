/**
 * The membership index: which addresses each security group stands for when
 * a rule names it as remote group. Neutron's server path takes every fixed IP
 * (without MAC) and every address pair (with its MAC) of every member port that
 * has at least one fixed IP; the OVS agent's cache takes fixed IPs with the
 * port's MAC and pairs even of ports without fixed IPs. Which pairs join, and how,
 * is the backend's (neutron-backends.ts). Updated per port, so a one-port change
 * touches only that port's groups.
 */
import { parseCidr } from '../model/addresses.js';
import { type Family, type Member } from './ir.js';
import { BACKEND_SEMANTICS, DEFAULT_NEUTRON_BACKEND, type NeutronBackend } from './neutron-backends.js';
import { type SgInfoSource, type TopologyPort } from './topology.js';

const familyOf = (ip: string): Family => (ip.includes(':') ? 'IPv6' : 'IPv4');

/** family, address (a number for IPv4: cheaper to build and compare), prefix length, text */
type AddressKey = [number, bigint | number, number, string];
const keys = new Map<string, AddressKey>();

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

function parseKey(ip: string): AddressKey {
  const m = V4.exec(ip);
  if (m) return [4, ((+m[1] * 256 + +m[2]) * 256 + +m[3]) * 256 + +m[4], m[5] === undefined ? 32 : +m[5], ip];
  const c = parseCidr(ip, true)!;
  return [c.family, c.address, c.prefixlen, ip];
}

/** golden's (and so Neutron's observable) member order: version, address, prefix length, text, MAC */
export function addressKey(ip: string): AddressKey {
  let k = keys.get(ip);
  if (!k) keys.set(ip, (k = parseKey(ip)));
  return k;
}

/** Addresses (host IPs or CIDRs, as text) in member order. */
export function compareAddresses(a: string, b: string): number {
  return a === b ? 0 : compareKeys(addressKey(a), addressKey(b));
}

function compareKeys(x: AddressKey, y: AddressKey): number {
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

function compareMacs(a: { mac: string | null }, b: { mac: string | null }): number {
  const ma = a.mac ?? '';
  const mb = b.mac ?? '';
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

/** Members in the order `members` lists them (address, then MAC). */
export const compareMembers = (a: Member, b: Member): number => compareAddresses(a.ip, b.ip) || compareMacs(a, b);


const prefixLengthOf = (ip: string): number => {
  const slash = ip.indexOf('/');
  return slash < 0 ? (familyOf(ip) === 'IPv4' ? 32 : 128) : Number(ip.slice(slash + 1));
};

/** Whether an address (a bare one is a host) has, for its family, this prefix length or a shorter one. */
export function atLeastAsWide(ip: string, limits: Record<Family, number>): boolean {
  return prefixLengthOf(ip) <= limits[familyOf(ip)];
}

/** The member entries one port contributes to each of its groups (without the pairs safe expansion leaves out, or the backend never takes). */
export function portMembers(p: TopologyPort, source: SgInfoSource, omit: Record<Family, number> | null = null, backend: NeutronBackend = DEFAULT_NEUTRON_BACKEND): Member[] {
  if (source === 'server_rpc' && p.fixed_ips.length === 0) return [];
  const fixedMac = source === 'server_rpc' ? null : p.mac_address;
  const { pairsAreMembers, macPinnedPrefixlen } = BACKEND_SEMANTICS[backend];
  const taken = pairsAreMembers ? p.allowed_address_pairs : [];
  const pairs = omit ? taken.filter((a) => !atLeastAsWide(a.ip_address, omit)) : taken;
  return [
    ...p.fixed_ips.map((ip): Member => ({ ip, mac: fixedMac, portId: p.id, via: 'fixed_ip' })),
    ...pairs.map((a): Member => (macPinnedPrefixlen !== null && prefixLengthOf(a.ip_address) === macPinnedPrefixlen
      ? { ip: a.ip_address, mac: a.mac_address, portId: p.id, via: 'address_pair', srcMac: a.mac_address }
      : { ip: a.ip_address, mac: a.mac_address, portId: p.id, via: 'address_pair' })),
  ];
}

export class MembershipIndex {
  private readonly byGroup = new Map<string, Map<string, Member[]>>();
  private readonly groupsOfPort = new Map<string, string[]>();

  constructor(
    private readonly source: SgInfoSource,
    private readonly omitWidePairs: Record<Family, number> | null = null,
    private readonly backend: NeutronBackend = DEFAULT_NEUTRON_BACKEND,
  ) {}

  /** The groups a port is a member of. */
  groupsOf(portId: string): readonly string[] {
    return this.groupsOfPort.get(portId) ?? [];
  }

  /** Sets (or, with `port` undefined, removes) one port; returns the groups whose members changed. */
  setPort(portId: string, port: TopologyPort | undefined): Set<string> {
    const changed = new Set<string>();
    for (const g of this.groupsOfPort.get(portId) ?? []) {
      this.byGroup.get(g)?.delete(portId);
      changed.add(g);
    }
    this.groupsOfPort.delete(portId);
    if (port) {
      const members = portMembers(port, this.source, this.omitWidePairs, this.backend);
      for (const g of port.security_groups) {
        if (!this.byGroup.has(g)) this.byGroup.set(g, new Map());
        this.byGroup.get(g)!.set(portId, members);
        changed.add(g);
      }
      this.groupsOfPort.set(portId, [...port.security_groups]);
    }
    return changed;
  }

  /** The group's members of one family: (ip, MAC) pairs once each (the first port's), in member order. */
  members(groupId: string, family: Family): Member[] {
    const all: Member[] = [];
    for (const list of this.byGroup.get(groupId)?.values() ?? []) {
      for (const m of list) if (familyOf(m.ip) === family) all.push(m);
    }
    // each address's key looked up once, not in every comparison; the sort is stable and puts
    // equal (ip, MAC) pairs side by side: keeping the first of each keeps the first port's
    const keyed = all.map((m) => ({ m, k: addressKey(m.ip) }));
    keyed.sort((a, b) => compareKeys(a.k, b.k) || compareMacs(a.m, b.m));
    return keyed.map(({ m }) => m).filter((m, i, ms) => i === 0 || m.ip !== ms[i - 1].ip || m.mac !== ms[i - 1].mac);
  }
}
