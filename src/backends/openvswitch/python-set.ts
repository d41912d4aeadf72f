/**
 * The iteration order of the Python sets the driver loops over (a port's MACs
 * and (MAC, address) pairs). It shows only where two entries write the same
 * flow in different spellings: the last one written stays.
 */
export function stringSet(items: readonly string[]): string[] {
  return [...new Set(items)];
}

export function pairSet(items: readonly [string, string][]): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const it of items) if (!seen.has(`${it[0]} ${it[1]}`)) seen.set(`${it[0]} ${it[1]}`, it);
  return [...seen.values()];
}
