/**
 * allowed_address_pairs: neutron-lib's _validate_allowed_address_pairs (which
 * raises its own errors, most without the "Invalid input for" prefix) and the
 * server-side processing (a pair without a MAC takes the port's MAC).
 */
import { z } from 'zod';
import { canonicalMac, parseCidr, parseIp } from './addresses.js';
import { errors } from './errors.js';
import { pyRepr } from './schema.js';

export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

export interface RequestedPair {
  ip_address: string;
  mac_address?: string;
}

export const MAX_ALLOWED_ADDRESS_PAIRS = 10;
const KEYS = new Set(['ip_address', 'mac_address']);

function validatePairs(value: unknown): RequestedPair[] {
  // Seed compatibility: the Havana-era `neutron port-update P --allowed-address-pairs ''`
  // sends "" to clear the pairs; Zed answers 400, portsec clears (documented).
  if (value === null || value === '') return [];
  if (!Array.isArray(value)) throw errors.badRequest('Allowed address pairs must be a list.');
  if (value.length > MAX_ALLOWED_ADDRESS_PAIRS) throw errors.aapExhausted(MAX_ALLOWED_ADDRESS_PAIRS);
  const seen = new Set<string>();
  for (const pair of value) {
    if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) {
      throw errors.badRequest(`Invalid input for allowed_address_pairs. Reason: '${pyRepr(pair)}' is not a dictionary.`);
    }
    if ('mac_address' in pair && !canonicalMac(pair.mac_address)) {
      throw errors.badRequest(`'${pyRepr(pair.mac_address)}' is not a valid MAC address`);
    }
    if (!('ip_address' in pair)) throw errors.aapMissingIp();
    const key = JSON.stringify([pair.mac_address ?? null, pair.ip_address]);
    if (seen.has(key)) throw errors.aapDuplicate(pair.mac_address ?? null, pyRepr(pair.ip_address));
    seen.add(key);
    const extra = Object.keys(pair).filter((k) => !KEYS.has(k));
    if (extra.length) throw errors.badRequest(`Unrecognized attribute(s) '${extra.join(', ')}'`);
    const ip = pair.ip_address;
    if (typeof ip === 'string' && ip.includes('/')) {
      if (!parseCidr(ip)) throw errors.badRequest(`'${ip}' is not a valid IP subnet`);
    } else if (!parseIp(ip)) {
      throw errors.badRequest(`'${pyRepr(ip)}' is not a valid IP address`);
    }
  }
  return value as RequestedPair[];
}

export const addressPairsInput = z.unknown().transform(validatePairs);

/** Fills in the port's MAC and rejects pairs that collide once it is filled in (DB uniqueness). */
export function resolvePairs(requested: RequestedPair[], portMac: string): AddressPair[] {
  const seen = new Set<string>();
  return requested.map((p) => {
    const pair = { ip_address: p.ip_address, mac_address: p.mac_address ?? portMac };
    const key = `${pair.mac_address}|${pair.ip_address}`;
    if (seen.has(key)) throw errors.aapDuplicate(pair.mac_address, pair.ip_address);
    seen.add(key);
    return pair;
  });
}

export function samePairs(a: AddressPair[], b: AddressPair[]): boolean {
  const key = (l: AddressPair[]) => l.map((p) => `${p.mac_address}|${p.ip_address}`).sort().join(',');
  return key(a) === key(b);
}

/** Neutron lists pairs ordered by ip_address as a string. */
export function sortPairs(pairs: AddressPair[]): AddressPair[] {
  return [...pairs].sort((x, y) => (x.ip_address < y.ip_address ? -1 : x.ip_address > y.ip_address ? 1 : 0));
}
