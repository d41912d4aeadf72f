/**
 * Exposure: for each port and each service its ingress rules open, the
 * effective set of allowed sources — the union of the rules' prefixes and the
 * remote groups' members as the data plane expands them — as the fewest CIDRs,
 * with where each part comes from.
 */
import { type Family, type PolicyRule, type PortPolicy } from '../policy/ir.js';
import { type ExposureRow, type ExposureSource } from './answers.js';
import { type Cloud, portRef } from './cloud.js';
import { memberMatch, ruleOrigin, unfilteredReason } from './facts.js';
import { remoteMembers } from './packet.js';
import { intervalOf, type Interval, toCidrs, union } from './ranges.js';
import { type SnapshotPort } from './snapshot.js';

const EVERYTHING: Record<Family, string> = { IPv4: '0.0.0.0/0', IPv6: '::/0' };

export function serviceText(r: Pick<PolicyRule, 'portMin' | 'portMax'>): string {
  if (r.portMin === null) return 'any';
  return r.portMax === null || r.portMax === r.portMin ? String(r.portMin) : `${r.portMin}-${r.portMax}`;
}

/** Where one ingress rule admits from, as prefixes with their origin. */
export function ruleSources(cloud: Cloud, pp: PortPolicy, r: PolicyRule): ExposureSource[] {
  const rule = ruleOrigin(cloud, r.origin);
  if (r.remote.kind === 'any') return [{ cidr: EVERYTHING[r.ethertype], from: { kind: 'any', rule } }];
  if (r.remote.kind === 'prefix') return [{ cidr: r.remote.cidr, from: { kind: 'prefix', rule } }];
  const groupId = r.remote.groupId;
  // the members as the exposed port's own node expands them
  return remoteMembers(pp, cloud.membersAt(pp.port.id)(groupId, r.ethertype, r.direction), cloud.optionsAt(pp.port.id).enableIpset).map((m) => ({
    cidr: m.ip.includes('/') ? m.ip : `${m.ip}/${r.ethertype === 'IPv4' ? 32 : 128}`,
    from: { kind: 'member', member: memberMatch(cloud, groupId, m), rule },
  }));
}

export function portExposure(cloud: Cloud, port: SnapshotPort): ExposureRow[] {
  const pp = cloud.policy(port.id);
  const ref = portRef(port);
  const { backend } = cloud.backendAt(port.id);
  if (pp.kind !== 'filtered') {
    const from = { kind: 'unfiltered', reason: unfilteredReason(pp) } as const;
    return (['IPv4', 'IPv6'] as Family[]).map((f) => ({ port: ref, ethertype: f, protocol: 'any', ports: 'any', sources: [EVERYTHING[f]], origins: [{ cidr: EVERYTHING[f], from }], backend }));
  }
  const rows = new Map<string, { row: ExposureRow; intervals: Interval[] }>();
  for (const r of pp.rules) {
    if (r.direction !== 'ingress' || r.origin.kind !== 'group') continue;
    const key = `${r.ethertype}|${r.protocol ?? 'any'}|${serviceText(r)}`;
    let entry = rows.get(key);
    if (!entry) rows.set(key, (entry = { row: { port: ref, ethertype: r.ethertype, protocol: r.protocol ?? 'any', ports: serviceText(r), sources: [], origins: [], backend }, intervals: [] }));
    for (const s of ruleSources(cloud, pp, r)) {
      entry.row.origins.push(s);
      entry.intervals.push(intervalOf(s.cidr).interval);
    }
  }
  return [...rows.values()].map(({ row, intervals }) => ({ ...row, sources: toCidrs(union(row.ethertype === 'IPv4' ? 4 : 6, intervals)) }));
}

/** Port by port, so a caller can write rows as they come (bench/audit: every port's rows at once did not fit in memory at 100,000 ports). */
export function* exposureRows(cloud: Cloud, ports: Iterable<SnapshotPort> = cloud.snapshot.ports): Generator<ExposureRow> {
  for (const p of ports) yield* portExposure(cloud, p);
}

export function exposure(cloud: Cloud, ports: SnapshotPort[] = cloud.snapshot.ports): ExposureRow[] {
  return [...exposureRows(cloud, ports)];
}
