/** Random draws for address and MAC allocation; seedable so labs and tests can be replayed. */
export type Random = () => number;

/** mulberry32: a small, fast, well-distributed 32-bit PRNG */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
