/**
 * How wide a remote group is made by its members' allowed-address pairs, judged
 * on their union: `0.0.0.0/1` + `128.0.0.0/1` stand for exactly what `0.0.0.0/0`
 * does (the ipset holds both, and every rule naming the group admits both). The
 * audit and the API guard both judge a group with this one function, over the
 * members the IR gives the group.
 */
import { broadcast, familyBits, formatIp, network, parseCidr } from '../model/addresses.js';
import { type Family, type Member } from './ir.js';

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
 * The blocks of prefix length `limit` or shorter (per family) inside the union of
 * the members' address pairs. Fixed IPs are what a group is meant to stand for and
 * are not counted, nor are pairs the backend pins to their MAC (the openvswitch
 * firewall's /0): they admit one port's traffic, not a block of sources.
 */
export function wideBlocks(members: readonly Member[], limits: Record<Family, number>): WideBlock[] {
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
        if (b.prefixlen > limits[family]) continue;
        const end = b.start + (1n << BigInt(bits - b.prefixlen)) - 1n;
        out.push({
          family, cidr: `${formatIp(fam, b.start)}/${b.prefixlen}`, prefixlen: b.prefixlen, start: b.start, end,
          pairs: pairs.filter((p) => p.start <= end && p.end >= b.start).map((p) => p.m),
        });
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

/** Every family in which rules name `groupId` while its pairs cover a block at least as wide as the limit. */
export function wideGroups<R extends { ethertype: string }>(
  groupId: string, members: (f: Family) => readonly Member[], naming: readonly R[], limits: Record<Family, number>,
): WideGroup<R>[] {
  const out: WideGroup<R>[] = [];
  for (const family of ['IPv4', 'IPv6'] as const) {
    const rules = naming.filter((r) => r.ethertype === family);
    if (!rules.length) continue;
    const found = wideBlocks(members(family), limits);
    if (found.length) out.push({ groupId, family, rules, blocks: found });
  }
  return out;
}
