/**
 * IP address management, pure: default gateways and pools as Neutron's
 * ipam_utils computes them, pool validation, and choosing a free address.
 */
import { broadcast, type Cidr, formatIp, network, parseIp } from './addresses.js';
import { errors } from './errors.js';

export interface Range { start: bigint; end: bigint }
export interface Pool { start: string; end: string }

/** IPv4: the first host; IPv6: the subnet-router anycast address (what Zed answers). */
export function defaultGateway(c: Cidr): bigint {
  return c.family === 4 ? network(c) + 1n : network(c);
}

/** neutron.ipam.utils.generate_pools: the whole subnet minus network, broadcast (v4) and gateway. */
export function generatePools(c: Cidr, gateway: bigint | null): Range[] {
  const first = network(c);
  const last = broadcast(c);
  if (first === last) return [{ start: first, end: last }];
  const lo = first + 1n;
  const hi = last - (c.family === 4 ? 1n : 0n);
  if (lo >= hi) return [];
  if (gateway === null || gateway < lo || gateway > hi) return [{ start: lo, end: hi }];
  return [{ start: lo, end: gateway - 1n }, { start: gateway + 1n, end: hi }].filter((r) => r.start <= r.end);
}

export function formatPools(c: Cidr, ranges: Range[]): Pool[] {
  return ranges.map((r) => ({ start: formatIp(c.family, r.start), end: formatIp(c.family, r.end) }));
}

const poolText = (p: Pool) => `${p.start}-${p.end}`;

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The pair Neutron's pairwise loop reports (the first i, then the first j > i, whose
 * ranges overlap), in O(n log n): 32,000 pools took the pairwise loop 16.8 s.
 */
export function firstOverlap(ranges: Range[]): [number, number] | undefined {
  const n = ranges.length;
  const starts = [...new Set(ranges.map((r) => r.start))].sort(cmp);
  /** how many distinct starts are at most `v` */
  const rank = (v: bigint) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // a Fenwick tree of the largest end among the ranges after i, by start
  const tree: bigint[] = new Array(starts.length + 1).fill(-1n);
  const insert = (r: Range) => {
    for (let k = rank(r.start); k <= starts.length; k += k & -k) if (tree[k] < r.end) tree[k] = r.end;
  };
  const maxEnd = (count: number) => {
    let m = -1n;
    for (let k = count; k > 0; k -= k & -k) if (tree[k] > m) m = tree[k];
    return m;
  };
  let first = -1;
  for (let i = n - 1; i >= 0; i--) {
    // a later range overlaps i when it starts by i's end and ends at or after i's start
    if (maxEnd(rank(ranges[i].end)) >= ranges[i].start) first = i;
    insert(ranges[i]);
  }
  if (first < 0) return undefined;
  const a = ranges[first];
  for (let j = first + 1; j < n; j++) if (a.start <= ranges[j].end && ranges[j].start <= a.end) return [first, j];
  return undefined;
}

/** Validates user-supplied allocation pools against the subnet and its gateway. */
export function parsePools(c: Cidr, cidrText: string, pools: Pool[], gateway: bigint | null): Range[] {
  // validate_allocation_pools: never the network address, nor an IPv4 broadcast but on a /31 or /32
  const whole = c.family === 4 && c.prefixlen > 30;
  const lo = network(c) + (whole ? 0n : 1n);
  const hi = broadcast(c) - (c.family === 4 && !whole ? 1n : 0n);
  const ranges = pools.map((p) => {
    const s = parseIp(p.start);
    const e = parseIp(p.end);
    if (!s || !e || s.family !== c.family || e.family !== c.family || s.value > e.value) {
      throw errors.invalidAllocationPool(poolText(p));
    }
    if (s.value < lo || e.value > hi) throw errors.poolOutOfBounds(poolText(p), cidrText);
    return { start: s.value, end: e.value };
  });
  const overlap = firstOverlap(ranges);
  if (overlap) throw errors.poolsOverlap(poolText(pools[overlap[0]]), poolText(pools[overlap[1]]), cidrText);
  if (gateway !== null) {
    const hit = ranges.findIndex((r) => gateway >= r.start && gateway <= r.end);
    if (hit >= 0) throw errors.gatewayInPool(formatIp(c.family, gateway), poolText(pools[hit]));
  }
  return ranges;
}

/** Neutron picks at random among the first free addresses of the pools (window of 1000). */
const WINDOW = 1000;

export function pickFreeIp(ranges: Range[], used: Set<bigint>, random: () => number = Math.random): bigint | undefined {
  const candidates: bigint[] = [];
  for (const r of ranges) {
    for (let ip = r.start; ip <= r.end && candidates.length < WINDOW; ip++) {
      if (!used.has(ip)) candidates.push(ip);
    }
    if (candidates.length >= WINDOW) break;
  }
  if (!candidates.length) return undefined;
  return candidates[Math.floor(random() * candidates.length)];
}

/** Modified EUI-64 interface identifier from a MAC, for SLAAC subnets. */
export function eui64(c: Cidr, mac: string): bigint {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const iid = [b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  return network(c) | iid;
}
