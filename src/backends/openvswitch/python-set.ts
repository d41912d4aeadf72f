/**
 * The iteration order of the Python sets the driver loops over (a port's MACs
 * and (MAC, address) pairs). It shows where two entries write the same flow
 * in different spellings (a pair's MAC in upper case beside the port's): the
 * last one written stays. Neutron runs on CPython 3.11 (Debian's), and the
 * harness with PYTHONHASHSEED=0, which makes the order reproducible: strings
 * hash with SipHash-1-3 under a zero key, tuples with CPython's xxHash-based
 * tuple hash, and a set iterates its open-addressing table slot by slot
 * (Objects/setobject.c: linear probes of 9, then perturbation; a table
 * quadruples its used count once two thirds full).
 */

export type PyItem = string | readonly [string, string];

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M64;

/** Python/pyhash.c siphash13 with k0 = k1 = 0 */
function siphash13(bytes: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M64; v2 = (v2 + v3) & M64; v1 = rotl(v1, 13n) ^ v0; v3 = rotl(v3, 16n) ^ v2; v0 = rotl(v0, 32n);
    v2 = (v2 + v1) & M64; v0 = (v0 + v3) & M64; v1 = rotl(v1, 17n) ^ v2; v3 = rotl(v3, 21n) ^ v0; v2 = rotl(v2, 32n);
  };
  const word = (at: number, n: number) => {
    let w = 0n;
    for (let i = n - 1; i >= 0; i--) w = (w << 8n) | BigInt(bytes[at + i]);
    return w;
  };
  const full = bytes.length - (bytes.length % 8);
  for (let at = 0; at < full; at += 8) {
    const m = word(at, 8);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  const b = (BigInt(bytes.length & 0xff) << 56n) | word(full, bytes.length - full);
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return (v0 ^ v1) ^ (v2 ^ v3);
}

/** hash() of an ASCII str, as an unsigned 64-bit value (-1 becomes -2, as CPython has it) */
function strHash(s: string): bigint {
  if (s.length === 0) return 0n;
  const h = siphash13(new TextEncoder().encode(s));
  return h === M64 ? M64 - 1n : h;
}

const XXPRIME_1 = 11400714785074694791n;
const XXPRIME_2 = 14029467366897019727n;
const XXPRIME_5 = 2870177450012600261n;

/** Objects/tupleobject.c tuplehash */
function tupleHash(items: readonly string[]): bigint {
  let acc = XXPRIME_5;
  for (const item of items) {
    acc = (acc + strHash(item) * XXPRIME_2) & M64;
    acc = rotl(acc, 31n);
    acc = (acc * XXPRIME_1) & M64;
  }
  acc = (acc + (BigInt(items.length) ^ (XXPRIME_5 ^ 3527539n))) & M64;
  return acc === M64 ? 1546275796n : acc;
}

const hashOf = (x: PyItem) => (typeof x === 'string' ? strHash(x) : tupleHash(x));
const same = (a: PyItem, b: PyItem) => (typeof a === 'string' || typeof b === 'string' ? a === b : a[0] === b[0] && a[1] === b[1]);

const MIN_SIZE = 8;
const LINEAR_PROBES = 9;

interface Entry<T> { key: T; hash: bigint }

/** A CPython set without deletions: its table, so that iteration and copies follow CPython's. */
export class PySet<T extends PyItem> {
  private table: (Entry<T> | undefined)[] = new Array(MIN_SIZE);
  private used = 0;

  static of<T extends PyItem>(items: Iterable<T>): PySet<T> {
    const s = new PySet<T>();
    for (const x of items) s.add(x);
    return s;
  }

  private get mask(): number {
    return this.table.length - 1;
  }

  /** set_add_entry */
  add(key: T, hash: bigint = hashOf(key)): void {
    const mask = BigInt(this.mask);
    let i = Number(hash & mask);
    let perturb = hash;
    for (;;) {
      let probes = i + LINEAR_PROBES <= this.mask ? LINEAR_PROBES : 0;
      let j = i;
      do {
        const e = this.table[j];
        if (!e) {
          this.table[j] = { key, hash };
          this.used++;
          if (this.used * 5 >= this.mask * 3) this.resize(this.used > 50000 ? this.used * 2 : this.used * 4);
          return;
        }
        if (e.hash === hash && same(e.key, key)) return;
        j++;
      } while (probes--);
      perturb >>= 5n;
      i = Number((BigInt(i) * 5n + 1n + perturb) & mask);
    }
  }

  /** set_insert_clean: into a table known not to hold the key */
  private static insertClean<T>(table: (Entry<T> | undefined)[], e: Entry<T>): void {
    const mask = table.length - 1;
    let i = Number(e.hash & BigInt(mask));
    let perturb = e.hash;
    for (;;) {
      if (!table[i]) {
        table[i] = e;
        return;
      }
      if (i + LINEAR_PROBES <= mask) {
        for (let j = 1; j <= LINEAR_PROBES; j++) {
          if (!table[i + j]) {
            table[i + j] = e;
            return;
          }
        }
      }
      perturb >>= 5n;
      i = Number((BigInt(i) * 5n + 1n + perturb) & BigInt(mask));
    }
  }

  /** set_table_resize: the smallest power of two above `minUsed`, entries re-inserted in slot order */
  private resize(minUsed: number): void {
    let size = MIN_SIZE;
    while (size <= minUsed) size <<= 1;
    const old = this.table;
    this.table = new Array(size);
    for (const e of old) if (e) PySet.insertClean(this.table, e);
  }

  /** set_merge of `other` into this set */
  private merge(other: PySet<T>): void {
    if (other === this || other.used === 0) return;
    if ((this.used + other.used) * 5 >= this.mask * 3) this.resize((this.used + other.used) * 2);
    if (this.used === 0 && this.mask === other.mask) {
      this.table = [...other.table];
      this.used = other.used;
      return;
    }
    if (this.used === 0) {
      for (const e of other.table) if (e) PySet.insertClean(this.table, e);
      this.used = other.used;
      return;
    }
    for (const e of other.table) if (e) this.add(e.key, e.hash);
  }

  /** set.union: a copy of this set, then each other merged in */
  union(...others: PySet<T>[]): PySet<T> {
    const out = new PySet<T>();
    out.merge(this);
    for (const o of others) out.merge(o);
    return out;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.table.filter((e): e is Entry<T> => e !== undefined).map((e) => e.key)[Symbol.iterator]();
  }
}
