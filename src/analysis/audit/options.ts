/** What the audit treats as too wide or too sensitive; the CLI and the guard share it. */
import { parseCidr } from '../../model/addresses.js';
import { type Family } from '../../policy/ir.js';
import { DEFAULT_WIDE_LIMIT, type PairLimit, pairLimit, type WideLimit } from '../../policy/wide-members.js';
import { type Cloud } from '../cloud.js';

export interface AuditOptions {
  /** when a pair is wide (default: wider than its port's subnet; the guard's default too) */
  widePair: WideLimit;
  /** ports an administrator would not open to the world */
  adminPorts: number[];
}

export const DEFAULT_AUDIT_OPTIONS: AuditOptions = {
  widePair: DEFAULT_WIDE_LIMIT,
  adminPorts: [22, 23, 3389, 5900, 2375, 3306, 5432, 6379, 9200, 11211, 27017],
};

/** The widest subnet (shortest prefix) of each port's fixed IPs, per family, in a cloud's snapshot. */
function subnetPrefixes(cloud: Cloud): (portId: string, family: Family) => number | undefined {
  const prefixOf = new Map(cloud.snapshot.subnets.map((s) => [s.id, parseCidr(s.cidr, true)?.prefixlen]));
  return (portId, family) => {
    let widest: number | undefined;
    for (const ip of cloud.ports.get(portId)?.fixed_ips ?? []) {
      if (ip.ip_address.includes(':') !== (family === 'IPv6')) continue;
      const len = prefixOf.get(ip.subnet_id);
      if (len !== undefined && (widest === undefined || len < widest)) widest = len;
    }
    return widest;
  };
}

/** Per cloud and threshold, the limit of each port's pairs. */
const limits = new WeakMap<Cloud, Map<WideLimit, PairLimit>>();

export function pairLimitIn(cloud: Cloud, limit: WideLimit): PairLimit {
  let known = limits.get(cloud);
  if (!known) limits.set(cloud, (known = new Map()));
  let found = known.get(limit);
  if (!found) known.set(limit, (found = pairLimit(limit, subnetPrefixes(cloud))));
  return found;
}
