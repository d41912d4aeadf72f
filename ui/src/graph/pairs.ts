/**
 * How wide an allowed-address pair is, at a glance: a pair is also a member
 * address of every remote group its port is in, so its width is how far those
 * groups' rules open.
 */

export type Width = 'host' | 'subnet' | 'wide' | 'any';

/** Colours chosen for at least 4.5:1 against white (text on them is white, also ≥ 4.5:1). */
export const WIDTHS: Record<Width, { colour: string; meaning: string }> = {
  host: { colour: '#1a7f37', meaning: 'one address (/32, /128)' },
  subnet: { colour: '#0b5cad', meaning: 'up to 256 addresses (/24–/31)' },
  wide: { colour: '#a0410d', meaning: 'more than 256 addresses' },
  any: { colour: '#6639ba', meaning: 'every address (/0)' },
};

/** A pair's address is a CIDR or a plain address (a host). */
export function prefixOf(address: string): { length: number; bits: number } {
  const bits = address.includes(':') ? 128 : 32;
  const slash = address.indexOf('/');
  return { length: slash < 0 ? bits : Number(address.slice(slash + 1)), bits };
}

const hostBits = (address: string) => {
  const p = prefixOf(address);
  return p.bits - p.length;
};

export function widthOf(address: string): Width {
  const { length, bits } = prefixOf(address);
  if (length === 0) return 'any';
  if (length === bits) return 'host';
  return bits - length <= 8 ? 'subnet' : 'wide';
}

/** The pair address that admits the most sources. */
export function widest(addresses: string[]): string | undefined {
  let best: string | undefined;
  for (const a of addresses) if (best === undefined || hostBits(a) > hostBits(best)) best = a;
  return best;
}
