/**
 * Address parsing with Neutron's (netaddr's) strictness, on top of ipaddr.js.
 * Interval math on addresses (for allocation pools and overlap checks) lives
 * here too: addresses are handled as bigints so IPv4 and IPv6 share one path.
 */
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** the address as written (host bits kept) */
  address: bigint;
  prefixlen: number;
}

const V4_PART = /^(0|[1-9][0-9]{0,2})$/;

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const CANONICAL_V4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** An address as Neutron prints it; an IPv4 address that parses is printed as written. */
export function canonicalIpText(text: unknown): string | undefined {
  if (typeof text === 'string' && CANONICAL_V4.test(text)) return text;
  const ip = parseIp(text);
  return ip && formatIp(ip.family, ip.value);
}

/** Parses one address; IPv4 must be four decimal octets without leading zeros. */
export function parseIp(text: unknown): { family: Family; value: bigint } | undefined {
  if (typeof text !== 'string' || text.trim() !== text || text === '') return undefined;
  if (text.includes(':')) {
    if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
    return { family: 6, value: bytesToBigint(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p) && Number(p) <= 255)) return undefined;
  return { family: 4, value: bytesToBigint(parts.map(Number)) };
}

/** Parses `addr/len` (or a bare address when `bareIsHost`), keeping host bits. */
export function parseCidr(text: unknown, bareIsHost = false): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) {
    if (!bareIsHost) return undefined;
    const ip = parseIp(text);
    return ip && { family: ip.family, address: ip.value, prefixlen: familyBits(ip.family) };
  }
  const ip = parseIp(text.slice(0, slash));
  const len = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(len) || Number(len) > familyBits(ip.family)) return undefined;
  return { family: ip.family, address: ip.value, prefixlen: Number(len) };
}

function bytesToBigint(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

export function formatIp(family: Family, value: bigint): string {
  const n = family === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return family === 4 ? bytes.join('.') : ipaddr.fromByteArray(bytes).toString();
}

export function hostMask(c: { family: Family; prefixlen: number }): bigint {
  return (1n << BigInt(familyBits(c.family) - c.prefixlen)) - 1n;
}

export function network(c: Cidr): bigint {
  return c.address & ~hostMask(c);
}

export function broadcast(c: Cidr): bigint {
  return network(c) | hostMask(c);
}

/** `str(IPNetwork(x))`: address as written plus the prefix length. */
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.address)}/${c.prefixlen}`;
}

/**
 * `str(IPNetwork(x))` for text already validated: IPv4 text is canonical as
 * written (four decimal octets), so it only gains its mask; IPv6 is reformatted.
 */
export function cidrText(text: string): string {
  if (!text.includes(':')) return text.includes('/') ? text : `${text}/32`;
  return formatCidr(parseCidr(text, true)!);
}

/** `str(IPNetwork(x).cidr)`: host bits cleared. */
export function formatNetwork(c: Cidr): string {
  return `${formatIp(c.family, network(c))}/${c.prefixlen}`;
}

export function cidrContains(c: Cidr, family: Family, value: bigint): boolean {
  return family === c.family && value >= network(c) && value <= broadcast(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && network(a) <= broadcast(b) && network(b) <= broadcast(a);
}

const MAC_FORMS = [
  /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i,
];

const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** The MAC in Neutron's canonical form (lower case, colons), or undefined if invalid. */
export function canonicalMac(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  // stored MACs are canonical already: only the two reserved ones need a look
  if (CANONICAL_MAC.test(text)) return text === '00:00:00:00:00:00' || text === 'ff:ff:ff:ff:ff:ff' ? undefined : text;
  for (const form of MAC_FORMS) {
    const m = form.exec(text);
    if (!m) continue;
    const mac = m.slice(1).map((o) => o.toLowerCase().padStart(2, '0')).join(':');
    return mac === '00:00:00:00:00:00' || mac === 'ff:ff:ff:ff:ff:ff' ? undefined : mac;
  }
  return undefined;
}
