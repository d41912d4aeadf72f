/**
 * Python difflib's SequenceMatcher(None, a, b).get_matching_blocks(), which decides what
 * Neutron's IptablesManager keeps of a chain (difflib.ndiff between the chain iptables-save
 * prints and the rules it wants): the longest matching run first (earliest in `a`, then in
 * `b`), then the same on either side of it. Its "popular" heuristic (an element more than
 * 1 + n/100 times in a `b` of 200 or more) is kept, so long chains match as Neutron's do.
 */

export interface Block {
  /** start in a, start in b, length */
  a: number;
  b: number;
  size: number;
}

export function matchingBlocks<T>(a: readonly T[], b: readonly T[]): Block[] {
  const b2j = new Map<T, number[]>();
  b.forEach((x, j) => {
    const list = b2j.get(x);
    if (list) list.push(j);
    else b2j.set(x, [j]);
  });
  if (b.length >= 200) {
    const limit = Math.floor(b.length / 100) + 1;
    for (const [x, list] of b2j) if (list.length > limit) b2j.delete(x);
  }

  const longest = (alo: number, ahi: number, blo: number, bhi: number): Block => {
    let best: Block = { a: alo, b: blo, size: 0 };
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(a[i]) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > best.size) best = { a: i - k + 1, b: j - k + 1, size: k };
      }
      j2len = next;
    }
    // popular elements take no part in the search, but a run extends over them
    while (best.a > alo && best.b > blo && a[best.a - 1] === b[best.b - 1]) best = { a: best.a - 1, b: best.b - 1, size: best.size + 1 };
    while (best.a + best.size < ahi && best.b + best.size < bhi && a[best.a + best.size] === b[best.b + best.size]) best.size++;
    return best;
  };

  const blocks: Block[] = [];
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const m = longest(alo, ahi, blo, bhi);
    if (!m.size) continue;
    blocks.push(m);
    if (alo < m.a && blo < m.b) queue.push([alo, m.a, blo, m.b]);
    if (m.a + m.size < ahi && m.b + m.size < bhi) queue.push([m.a + m.size, ahi, m.b + m.size, bhi]);
  }
  return blocks.sort((x, y) => x.a - y.a || x.b - y.b);
}
