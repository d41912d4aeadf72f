/**
 * bench/audit: the analyzer on a synthetic cloud of 100,000 ports, 10,000
 * groups and 200,000 rules (sizes settable): time and peak RSS of building the
 * model and the full audit, then the latency of single can-reach queries after
 * indexing (p50/p99 over random port pairs, external sources and VIPs).
 *
 *   node dist/bench/audit.js [--ports 100000] [--groups 10000] [--rules 200000] [--queries 2000] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { audit } from '../src/analysis/audit/index.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { indexForQueries } from '../src/analysis/endpoints.js';
import { canReach } from '../src/analysis/reach.js';
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../src/analysis/snapshot.js';
import { seededRandom } from '../src/model/random.js';

const { values } = parseArgs({
  options: {
    ports: { type: 'string', default: '100000' }, groups: { type: 'string', default: '10000' }, rules: { type: 'string', default: '200000' },
    queries: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' },
  },
});
const [PORTS, GROUPS, RULES, QUERIES] = [values.ports, values.groups, values.rules, values.queries].map(Number);
const random = seededRandom(Number(values.seed));
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
const uuid = (kind: number, i: number) => `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const mac = (i: number) => `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

/** 100 ports per network (a /24 each), 10 groups per project, 1-3 groups per port, a few pairs, a few /0 pairs, some ports without port security. */
function synthetic(): Snapshot {
  const networks = Math.ceil(PORTS / 200);
  const s: Snapshot = { source: 'synthetic', networks: [], subnets: [], ports: [], security_groups: [], security_group_rules: [] };
  for (let n = 0; n < networks; n++) {
    s.networks.push({ id: uuid(1, n), name: `net${n}`, project_id: `p${n % 1000}` });
    s.subnets.push({ id: uuid(2, n), name: `net${n}`, network_id: uuid(1, n), ip_version: 4, cidr: `10.${n >> 8}.${n & 255}.0/24`, gateway_ip: null });
  }
  for (let g = 0; g < GROUPS; g++) s.security_groups.push({ id: uuid(3, g), name: g % 10 === 0 ? 'default' : `sg${g}`, project_id: `p${Math.floor(g / 10)}` });
  for (let r = 0; r < RULES; r++) {
    const g = r % GROUPS;
    const kind = random();
    const port = pick([22, 80, 443, 3306, 8080, 5432, 6379]);
    const rule: SnapshotRule = {
      id: uuid(4, r), security_group_id: uuid(3, g), direction: kind < 0.15 ? 'egress' : 'ingress', ethertype: 'IPv4',
      protocol: kind < 0.1 ? null : pick(['tcp', 'tcp', 'udp', 'icmp']), port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null,
    };
    if (rule.protocol === 'tcp' || rule.protocol === 'udp') [rule.port_range_min, rule.port_range_max] = [port, port + (random() < 0.2 ? 100 : 0)];
    if (random() < 0.4) rule.remote_group_id = uuid(3, Math.floor(g / 10) * 10 + Math.floor(random() * 10));
    else if (random() < 0.7) rule.remote_ip_prefix = pick(['0.0.0.0/0', `10.${random() * 256 | 0}.0.0/16`, `192.168.${random() * 256 | 0}.0/24`]);
    s.security_group_rules.push(rule);
  }
  for (let i = 0; i < PORTS; i++) {
    const n = Math.floor(i / 200);
    const project = n % 1000;
    const secure = random() > 0.01;
    const groups = secure ? [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => uuid(3, (project % (GROUPS / 10)) * 10 + Math.floor(random() * 10))))] : [];
    const pairs = secure && random() < 0.1 ? [{ ip_address: random() < 0.05 ? '0.0.0.0/0' : `10.${n >> 8}.${n & 255}.${200 + Math.floor(random() * 50)}` }] : [];
    const p: SnapshotPort = {
      id: uuid(5, i), name: `port${i}`, project_id: `p${project}`, network_id: uuid(1, n), mac_address: mac(i), device_owner: i % 200 === 0 ? 'network:router_interface' : 'compute:nova',
      device_id: `vm${i}`, fixed_ips: [{ subnet_id: uuid(2, n), ip_address: `10.${n >> 8}.${n & 255}.${(i % 200) + 1}` }], allowed_address_pairs: pairs,
      security_groups: i % 200 === 0 ? [] : groups, port_security_enabled: i % 200 === 0 ? true : secure,
    };
    s.ports.push(p);
  }
  return s;
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
let peak = 0;
const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
const snapshot = synthetic();
const t0 = performance.now();
const cloud = buildCloud(snapshot);
const t1 = performance.now();
const findings = audit(cloud);
const t2 = performance.now();
peak = Math.max(peak, process.memoryUsage.rss());
clearInterval(sample);

const bySeverity = Object.entries(findings.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.severity]: (acc[f.severity] ?? 0) + 1 }), {}));
console.log(`bench/audit: ${snapshot.ports.length} ports, ${snapshot.security_groups.length} groups, ${snapshot.security_group_rules.length} rules, ${snapshot.networks.length} networks`);
console.log(`  model built        ${(t1 - t0).toFixed(0).padStart(7)} ms`);
console.log(`  full audit         ${(t2 - t1).toFixed(0).padStart(7)} ms   (${findings.length} findings: ${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})`);
console.log(`  model + audit      ${(t2 - t0).toFixed(0).padStart(7)} ms   goal <= 10000 ms`);
console.log(`  peak RSS           ${mib(peak).padStart(7)} MiB  goal <= 2048 MiB (synthetic snapshot included)`);

const t3 = performance.now();
indexForQueries(cloud);
console.log(`  query index        ${(performance.now() - t3).toFixed(0).padStart(7)} ms   (every port's IR, each network's entry points)`);
const times: number[] = [];
let allowed = 0;
for (let q = 0; q < QUERIES; q++) {
  const dst = pick(snapshot.ports);
  const sameNet = snapshot.ports.slice(Math.floor(snapshot.ports.indexOf(dst) / 200) * 200, Math.floor(snapshot.ports.indexOf(dst) / 200) * 200 + 200);
  const kind = q % 3;
  const src = kind === 0 ? pick(sameNet).id : kind === 1 ? `200.200.${q & 255}.${(q >> 8) & 255}` : pick(sameNet).fixed_ips[0].ip_address;
  const query = { src, dst: dst.id, protocol: pick(['tcp', 'udp', 'icmp']), port: pick([22, 80, 443, 3306, 8080]) };
  const t = performance.now();
  if (canReach(cloud, query).verdict === 'ALLOW') allowed++;
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))];
console.log(`  can-reach          p50 ${pct(0.5).toFixed(3)} ms, p99 ${pct(0.99).toFixed(3)} ms over ${QUERIES} queries (port, external and IP sources; ${allowed} ALLOW)   goal p99 <= 1 ms`);
