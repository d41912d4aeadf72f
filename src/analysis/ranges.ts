/**
 * Address sets as sorted, disjoint [lo, hi] intervals of one family, and their
 * minimal CIDR cover: the exposure of a port is a union of prefixes and member
 * addresses, and operators read it best as the fewest CIDRs.
 */
import { broadcast, type Family, familyBits, formatIp, network, parseCidr } from '../model/addresses.js';

export type Interval = [bigint, bigint];

export interface AddressSet {
  family: Family;
  intervals: Interval[];
}

export interface Parsed {
  family: Family;
  interval: Interval;
  prefixlen: number;
  /** the address as written, host bits kept */
  address: bigint;
}

/** a cloud repeats the same few thousand prefixes and addresses: parse each once */
const parsed = new Map<string, Parsed | null>();

/** A prefix or host address as the interval it covers (host bits ignored, as iptables does); undefined if invalid. */
export function parsePrefix(text: string): Parsed | undefined {
  let p = parsed.get(text);
  if (p === undefined) {
    const c = parseCidr(text, true);
    parsed.set(text, (p = c ? { family: c.family, interval: [network(c), broadcast(c)], prefixlen: c.prefixlen, address: c.address } : null));
  }
  return p ?? undefined;
}

export function intervalOf(text: string): Parsed {
  const p = parsePrefix(text);
  if (!p) throw new Error(`not an address or prefix: ${text}`);
  return p;
}

export function union(family: Family, intervals: Interval[]): AddressSet {
  const sorted = [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Interval[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1n) {
      if (hi > last[1]) last[1] = hi;
    } else out.push([lo, hi]);
  }
  return { family, intervals: out };
}

export function contains(set: AddressSet, value: bigint): boolean {
  let lo = 0;
  let hi = set.intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = set.intervals[mid];
    if (value < a) hi = mid - 1;
    else if (value > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The fewest CIDRs that cover exactly the set. */
export function toCidrs(set: AddressSet): string[] {
  const bits = familyBits(set.family);
  const out: string[] = [];
  for (const [first, last] of set.intervals) {
    let lo = first;
    while (lo <= last) {
      // the largest block aligned at lo that stays inside [lo, last]
      let size = bits;
      while (size > 0) {
        const block = 1n << BigInt(bits - size + 1);
        if ((lo & (block - 1n)) !== 0n || lo + block - 1n > last) break;
        size--;
      }
      out.push(`${formatIp(set.family, lo)}/${size}`);
      lo += 1n << BigInt(bits - size);
    }
  }
  return out;
}

export const isEverything = (set: AddressSet): boolean =>
  set.intervals.length === 1 && set.intervals[0][0] === 0n && set.intervals[0][1] === (1n << BigInt(familyBits(set.family))) - 1n;
