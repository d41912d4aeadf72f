/**
 * How wide a remote group is made by its members' allowed-address pairs, judged
 * on their union: `0.0.0.0/1` + `128.0.0.0/1` stand for exactly what `0.0.0.0/0`
 * does (the ipset holds both, and every rule naming the group admits both). The
 * audit and the API guard both judge a group with this one function, over the
 * members the IR gives the group, against one threshold (DEFAULT_WIDE_LIMIT unless told).
 */
import { broadcast, familyBits, formatIp, network, parseCidr } from '../model/addresses.js';
import { type Family, type Member } from './ir.js';

/**
 * How wide a pair may be, per family: wide at this prefix length or shorter, or (`subnet`)
 * wide when wider than its port's subnet — a pair a port holds beyond its own subnet is
 * not a VIP or a migration address of it, and the ipset admits all of it.
 */
export type WideLimit = Record<Family, number | 'subnet'>;

/** The threshold of the audit and of the API guard unless told otherwise. */
export const DEFAULT_WIDE_LIMIT: WideLimit = { IPv4: 'subnet', IPv6: 'subnet' };

/** For one port's pair of a family, the longest prefix length that is wide. */
export type PairLimit = (portId: string, family: Family) => number;

/**
 * The limit per port: `subnetPrefix` gives the prefix length of the widest subnet of the
 * port's fixed IPs in the family (undefined: none, and then any pair wider than one address is wide).
 */
export function pairLimit(limit: WideLimit, subnetPrefix: (portId: string, family: Family) => number | undefined): PairLimit {
  return (portId, family) => {
    const l = limit[family];
    return l === 'subnet' ? (subnetPrefix(portId, family) ?? familyBits(family === 'IPv4' ? 4 : 6)) - 1 : l;
  };
}

/** The longest prefix length any port's pair may be wide at under `limit` (a bound for a cheap first test). */
export const widestLimit = (limit: WideLimit, family: Family): number => {
  const l = limit[family];
  return l === 'subnet' ? familyBits(family === 'IPv4' ? 4 : 6) - 1 : l;
};

/** Whether a pair of this port is wide. */
export function isWidePair(limit: PairLimit, portId: string, cidr: string): boolean {
  const c = parseCidr(cidr, true);
  return !!c && c.prefixlen <= limit(portId, c.family === 4 ? 'IPv4' : 'IPv6');
}

/** The limit in words, for evidence. */
export const limitText = (limit: WideLimit, family: Family): string => {
  const l = limit[family];
  return l === 'subnet' ? 'wider than its port\'s subnet' : `/${l} or shorter`;
};

/** An aligned block of addresses the group's pairs cover together, with the pairs that make it up. */
export interface WideBlock {
  family: Family;
  cidr: string;
  prefixlen: number;
  start: bigint;
  end: bigint;
  pairs: Member[];
}

interface Span { start: bigint; end: bigint }

/** [start, end] as the largest aligned blocks, in order. */
function blocks(span: Span, bits: number): { start: bigint; prefixlen: number }[] {
  const out: { start: bigint; prefixlen: number }[] = [];
  let at = span.start;
  while (at <= span.end) {
    let size = bits;
    // grow while `at` stays aligned and the block stays inside the span
    while (size > 0 && (at & ((1n << BigInt(bits - size + 1)) - 1n)) === 0n && at + (1n << BigInt(bits - size + 1)) - 1n <= span.end) size--;
    out.push({ start: at, prefixlen: size });
    at += 1n << BigInt(bits - size);
  }
  return out;
}

/**
 * The wide blocks inside the union of the members' address pairs: those of prefix
 * length at most the limit of one of the pairs inside (a block wider than the subnet
 * of one of the ports that make it up). Fixed IPs are what a group is meant to stand for and
 * are not counted, nor are pairs the backend pins to their MAC (the openvswitch
 * firewall's /0): they admit one port's traffic, not a block of sources.
 */
export function wideBlocks(members: readonly Member[], limit: PairLimit): WideBlock[] {
  const out: WideBlock[] = [];
  for (const family of ['IPv4', 'IPv6'] as const) {
    const fam = family === 'IPv4' ? 4 : 6;
    const bits = familyBits(fam);
    const pairs = members.flatMap((m) => {
      if (m.via !== 'address_pair' || m.srcMac) return [];
      const c = parseCidr(m.ip, true);
      return c && c.family === fam ? [{ m, start: network(c), end: broadcast(c) }] : [];
    });
    if (!pairs.length) continue;
    pairs.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const spans: Span[] = [];
    for (const p of pairs) {
      const last = spans[spans.length - 1];
      if (last && p.start <= last.end + 1n) {
        if (p.end > last.end) last.end = p.end;
      } else {
        spans.push({ start: p.start, end: p.end });
      }
    }
    for (const span of spans) {
      for (const b of blocks(span, bits)) {
        const end = b.start + (1n << BigInt(bits - b.prefixlen)) - 1n;
        const inside = pairs.filter((p) => p.start <= end && p.end >= b.start).map((p) => p.m);
        if (!inside.some((m) => b.prefixlen <= limit(m.portId, family))) continue;
        out.push({ family, cidr: `${formatIp(fam, b.start)}/${b.prefixlen}`, prefixlen: b.prefixlen, start: b.start, end, pairs: inside });
      }
    }
  }
  return out;
}

/** Whether block `a` lies inside block `b`. */
export const within = (a: WideBlock, b: WideBlock): boolean => a.family === b.family && a.start >= b.start && a.end <= b.end;

/** A remote group made wide for one family: the rules naming it and the blocks its pairs cover. */
export interface WideGroup<R> {
  groupId: string;
  family: Family;
  rules: R[];
  blocks: WideBlock[];
}

/** Every family in which rules name `groupId` while its pairs cover a wide block. */
export function wideGroups<R extends { ethertype: string }>(
  groupId: string, members: (f: Family) => readonly Member[], naming: readonly R[], limit: PairLimit,
): WideGroup<R>[] {
  const out: WideGroup<R>[] = [];
  for (const family of ['IPv4', 'IPv6'] as const) {
    const rules = naming.filter((r) => r.ethertype === family);
    if (!rules.length) continue;
    const found = wideBlocks(members(family), limit);
    if (found.length) out.push({ groupId, family, rules, blocks: found });
  }
  return out;
}
