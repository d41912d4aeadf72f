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

/** Whether an IPv4 address is written as Neutron prints it (four octets, no leading zeros). */
export const isCanonicalIpv4 = (text: string): boolean => CANONICAL_V4.test(text);

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
    const hex = text.includes('.') ? embeddedIpv4AsHex(text) : text;
    if (hex === undefined || hex.includes('%') || !ipaddr.IPv6.isValid(hex)) return undefined;
    return { family: 6, value: bytesToBigint(ipaddr.IPv6.parse(hex).toByteArray()) };
  }
  const value = parseDotted(text);
  return value === undefined ? undefined : { family: 4, value };
}

function parseDotted(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => V4_PART.test(p) && Number(p) <= 255)) return undefined;
  // one BigInt from a 32-bit number: four BigInt shifts per address showed in bench/audit's profile (100,000 ports' addresses)
  return BigInt(((Number(parts[0]) * 256 + Number(parts[1])) * 256 + Number(parts[2])) * 256 + Number(parts[3]));
}

/**
 * An IPv6 text whose last 32 bits are written dotted, with them as two hex words.
 * inet_pton's reading: ipaddr.js takes `::1.2.3.4` for `::ffff:1.2.3.4`, and
 * accepts octets with leading zeros.
 */
function embeddedIpv4AsHex(text: string): string | undefined {
  const at = text.lastIndexOf(':');
  const v4 = parseDotted(text.slice(at + 1));
  return v4 === undefined ? undefined : `${text.slice(0, at + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
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

const dotted = (value: bigint) => [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join('.');

export function formatIp(family: Family, value: bigint): string {
  return family === 4 ? dotted(value) : formatIpv6(value);
}

/**
 * IPv6 as netaddr prints it: glibc's inet_ntop, which compresses the first longest
 * run of two or more zero words and writes an IPv4-mapped (::ffff:a.b.c.d) or
 * -compatible (::a.b.c.d, not ::1 or ::) address's last 32 bits dotted.
 */
function formatIpv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  let best = { base: -1, len: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i >= 2 && j - i > best.len) best = { base: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const embedsIpv4 = best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff));
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && embedsIpv4) return text + dotted(value & 0xffffffffn);
    text += words[i].toString(16);
  }
  return best.base >= 0 && best.base + best.len === 8 ? `${text}:` : text;
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

/** netaddr's EUI-48 forms (strategy/eui48.py): the words of each, however many hex digits each word may have. */
const macForms = (count: number, digits: string, separators: string[]) =>
  separators.map((sep) => new RegExp(`^${Array(count).fill(`([0-9a-f]{${digits}})`).join(sep)}$`, 'i'));
const MAC_FORMS = [
  ...macForms(6, '1,2', [':', '-']),
  ...macForms(3, '1,4', [':', '-', '\\.']),
  ...macForms(2, '5,6', ['-', ':']),
  /^([0-9a-f]{11,12})$/i,
];

const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const RESERVED_MACS = new Set(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);

/**
 * The MAC in Neutron's canonical form (lower case, colons), or undefined where
 * neutron-lib's validate_mac_address refuses it: any spelling netaddr reads
 * (fa16.3e00.0005, fa163e000005, fa-16-3e-00-00-05...), not the reserved ones.
 */
export function canonicalMac(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  // stored MACs are canonical already: only the two reserved ones need a look
  if (CANONICAL_MAC.test(text)) return RESERVED_MACS.has(text) ? undefined : text;
  for (const form of MAC_FORMS) {
    const m = form.exec(text);
    if (!m) continue;
    const words = m.slice(1);
    const hex = words.map((w) => w.toLowerCase().padStart(12 / words.length, '0')).join('');
    const mac = hex.match(/../g)!.join(':');
    return RESERVED_MACS.has(mac) ? undefined : mac;
  }
  return undefined;
}
