/**
 * bench/audit: the analyzer on a synthetic cloud of 100,000 ports, 10,000
 * groups and 200,000 rules (sizes settable). First as users run it: the cloud
 * is written to a dump file once and the real CLI (`portsec audit`, `audit -f
 * sarif`, `exposure -f raw`, `can-reach`) runs on it as child processes, each
 * timed end to end (process start, reading the file, the answer) with its peak
 * RSS; then in process: building the model, the full audit, and the latency of
 * single can-reach queries after indexing (p50/p99 over random port pairs,
 * external sources and VIPs). Each figure is printed beside its goal (issue 15);
 * nothing here asserts one, as timings depend on the machine.
 *
 *   node dist/bench/audit.js [--ports 100000] [--groups 10000] [--rules 200000] [--queries 2000] [--seed 1] [--no-cli] [--file PATH] [--timeout 300]
 *
 * --timeout stops each CLI run after that many seconds (it is then reported as stopped).
 * --file keeps the dump at PATH (to profile the CLI on it: node --cpu-prof dist/src/cli/main.js audit --files PATH).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    queries: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, 'no-cli': { type: 'boolean', default: false }, file: { type: 'string' }, timeout: { type: 'string', default: '300' },
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
const CLI = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const TIME = '/usr/bin/time';

/**
 * One CLI run as a child process: wall time (process start included), CPU time and peak RSS (GNU time's,
 * of the child and what it waited for), stopped after --timeout seconds.
 * The CPU time is there because the wall time of a shared machine says little alone.
 */
function runCli(args: string[]): { ms: number; cpuMs?: number; rssMiB?: number; error?: string } {
  const limit = ['timeout', '-s', 'KILL', values.timeout, process.execPath, CLI, ...args];
  const [cmd, argv] = existsSync(TIME) ? [TIME, ['-f', 'maxrss %M cpu %U %S', ...limit]] : [limit[0], limit.slice(1)];
  const t = performance.now();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t;
  const usage = /maxrss (\d+) cpu ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  // timeout(1) -s KILL exits 137 (128 + SIGKILL) when it stopped the run; so would a run the kernel killed, sooner
  const stopped = r.status === 137 && ms >= Number(values.timeout) * 1000;
  const error = r.status === 0 ? undefined
    : stopped ? `stopped after ${values.timeout} s`
      : `exit ${r.status}: ${(r.stderr ?? '').split('\n').find((l) => l.trim() && !l.startsWith('maxrss') && !l.startsWith('Command ')) ?? ''}`;
  // a stopped run's usage is timeout(1)'s own (it is killed with the run, before waiting for it)
  return { ms, ...(usage && !stopped && { rssMiB: Number(usage[1]) / 1024, cpuMs: (Number(usage[2]) + Number(usage[3])) * 1000 }), ...(error && { error }) };
}

const snapshot = synthetic();
console.log(`bench/audit: ${snapshot.ports.length} ports, ${snapshot.security_groups.length} groups, ${snapshot.security_group_rules.length} rules, ${snapshot.networks.length} networks`);
console.log('  (no Neutron counterpart: Neutron has no analyzer, so no figure here is a ratio to Neutron)');

if (!values['no-cli']) {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-bench-audit-'));
  try {
    const file = values.file ?? join(dir, 'cloud.json');
    const { source: _, ...dump } = snapshot;
    writeFileSync(file, JSON.stringify(dump));
    console.log(`  the CLI on one dump file (${mib(statSync(file).size)} MiB), each a new process:`);
    const line = (label: string, args: string[], goalMs: number, goalMiB: number | undefined, out?: { file: string; goalMB?: number }) => {
      const r = runCli([...args, '--files', file]);
      const rss = r.rssMiB === undefined ? `   CPU and RSS n/a (${existsSync(TIME) ? 'stopped' : 'no /usr/bin/time'})` : `${r.cpuMs!.toFixed(0).padStart(7)} ms CPU   ${r.rssMiB.toFixed(0).padStart(5)} MiB peak RSS${goalMiB === undefined ? '' : ` (goal <= ${goalMiB})`}`;
      const size = out && existsSync(out.file) ? `, ${(statSync(out.file).size / 1e6).toFixed(1)} MB written${out.goalMB === undefined ? '' : ` (goal <= ${out.goalMB} MB)`}` : '';
      console.log(`  ${label.padEnd(19)}${r.ms.toFixed(0).padStart(7)} ms wall (goal <= ${goalMs})${rss}${size}${r.error ? `   FAILED: ${r.error}` : ''}`);
    };
    const [a, b] = [snapshot.ports[201], snapshot.ports[377]];
    line('portsec audit', ['audit', '-f', 'raw', '-o', '/dev/null'], 5000, 1024);
    const sarif = join(dir, 'audit.sarif');
    line('audit -f sarif', ['audit', '-f', 'sarif', '-o', sarif], 10000, undefined, { file: sarif, goalMB: 10 });
    rmSync(sarif, { force: true });
    // to a file, as users keep it: its size is part of the cost (2.8 GB of indented rows once)
    const exposed = join(dir, 'exposure.jsonl');
    line('exposure -f raw', ['exposure', '-f', 'raw', '-o', exposed], 10000, undefined, { file: exposed });
    rmSync(exposed, { force: true });
    line('can-reach (port)', ['can-reach', a.id, b.id, '--protocol', 'tcp', '--port', '22'], 2000, undefined);
    line('can-reach (outside)', ['can-reach', '203.0.113.9', b.id, '--protocol', 'tcp', '--port', '443'], 2000, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log('  in process (the snapshot already in memory):');
let peak = 0;
const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
const t0 = performance.now();
const cloud = buildCloud(snapshot);
const t1 = performance.now();
const findings = audit(cloud);
const t2 = performance.now();
peak = Math.max(peak, process.memoryUsage.rss());
clearInterval(sample);

const bySeverity = Object.entries(findings.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.severity]: (acc[f.severity] ?? 0) + 1 }), {}));
console.log(`  model built        ${(t1 - t0).toFixed(0).padStart(7)} ms`);
console.log(`  full audit         ${(t2 - t1).toFixed(0).padStart(7)} ms   (${findings.length} findings: ${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})`);
console.log(`  model + audit      ${(t2 - t0).toFixed(0).padStart(7)} ms   goal <= 5000 ms (the CLI's above adds reading the file)`);
console.log(`  peak RSS           ${mib(peak).padStart(7)} MiB  (synthetic snapshot included; the goal of 1 GiB is the CLI's above)`);

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
