/**
 * bench/apply (root): on a compute node of 1,000 ports (the synthetic shape of
 * bench/neutron_bench.py), the latency from an API write to the
 * kernel holding its effect — a pair change and a membership change — as p50
 * and p99, with the processes spawned per change; beside the real driver's
 * figures for the same changes from neutron_bench.py, measured in the same run.
 *
 *   sudo node dist/bench/apply.js [--changes 40]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Accounts } from '../src/api/identity.js';
import { buildServer } from '../src/api/server.js';
import { Agent } from '../src/dataplane/agent.js';
import { removeComputeNode } from '../src/dataplane/compute-node.js';
import { spawnCount } from '../src/dataplane/exec.js';
import { SqliteStore } from '../src/store/sqlite/store.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NEUTRON_BENCH = join(ROOT, 'bench/neutron_bench.py');
const { values } = parseArgs({ options: { changes: { type: 'string', default: '40' }, ports: { type: 'string', default: '1000' } } });
const CHANGES = Number(values.changes);
const PORTS = Number(values.ports);
const HOST = `bench${process.pid}`;
const HEADERS = { 'X-User-Id': 'admin', 'X-Project-Id': 'admin', 'X-Roles': 'admin', 'Content-Type': 'application/json' };

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/apply builds a compute-node namespace: run it as root');
  const dir = mkdtempSync(join(tmpdir(), 'portsec-bench-apply-'));
  const store = new SqliteStore(join(dir, 'bench.db'));
  const app = buildServer({ store, auth: 'trusted-headers', accounts: new Accounts(undefined, undefined) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/v2.0/${path}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => undefined);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
    return data;
  };
  try {
    // neutron_bench.py's shape: 20 groups x 5 rules, half naming a remote group; 1-2 groups and pairs per port
    const net = (await call('POST', 'networks', { network: { name: 'bench' } })).network.id;
    await call('POST', 'subnets', { subnet: { network_id: net, cidr: '10.0.0.0/16', ip_version: 4 } });
    const groups: string[] = [];
    for (let g = 0; g < 20; g++) groups.push((await call('POST', 'security-groups', { security_group: { name: `sg${g}` } })).security_group.id);
    for (let g = 0; g < 20; g++) {
      const remote = (k: number) => ({ remote_group_id: groups[(g + k) % 20] });
      const rules = [
        { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8' },
        { protocol: 'tcp', port_range_min: 80, port_range_max: 80, ...remote(0) },
        { protocol: 'tcp', port_range_min: 443, port_range_max: 443, ...(g % 2 ? remote(1) : { remote_ip_prefix: '192.168.0.0/16' }) },
        { protocol: 'udp', port_range_min: 53, port_range_max: 53, ...remote(2) },
      ];
      for (const r of rules) await call('POST', 'security-group-rules', { security_group_rule: { security_group_id: groups[g], direction: 'ingress', ...r } });
    }
    const ports: string[] = [];
    for (let start = 0; start < PORTS; start += 100) {
      const batch = Array.from({ length: Math.min(100, PORTS - start) }, (_, k) => {
        const i = start + k;
        const sgs = i % 2 ? [groups[i % 20], groups[(i + 1) % 20]] : [groups[i % 20]];
        const pairs = Array.from({ length: i % 2 ? 2 : 1 }, (_, j) => ({ ip_address: (i * 2 + j) % 50 === 0 ? `172.16.${i % 250}.0/28` : `172.16.${Math.floor((i * 2 + j) / 250)}.${(i * 2 + j) % 250 + 1}` }));
        return { network_id: net, security_groups: sgs, allowed_address_pairs: pairs, 'binding:host_id': HOST };
      });
      ports.push(...(await call('POST', 'ports', { ports: batch })).ports.map((p: { id: string }) => p.id));
    }
    const agent = new Agent(store, HOST);
    let t = performance.now();
    await agent.start();
    const initial = performance.now() - t;
    const measure = async (write: (i: number) => Promise<void>) => {
      const latencies: number[] = [];
      const spawns: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const s0 = spawnCount();
        t = performance.now();
        await write(i);
        await agent.sync();
        latencies.push(performance.now() - t);
        spawns.push(spawnCount() - s0);
      }
      return { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), spawns: Math.max(...spawns) };
    };
    const pair = await measure((i) => call('PUT', `ports/${ports[1]}`, { port: { allowed_address_pairs: [{ ip_address: '172.16.0.2' }, { ip_address: `203.0.113.${i + 1}` }] } }));
    const member = await measure((i) => call('POST', 'ports', { port: { network_id: net, security_groups: [groups[0]], fixed_ips: [{ ip_address: `10.0.200.${i + 1}` }], 'binding:host_id': 'elsewhere' } }));
    const neutron = JSON.parse((() => {
      const out = execFileSync('/usr/bin/python3', [NEUTRON_BENCH, '--sizes', '', '--ipset', 'on', '--updates-at', String(PORTS), '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      return out.slice(out.indexOf('\n{') + 1);
    })()).updates[`${PORTS}/on`];
    console.log(`bench/apply: compute node of ${PORTS} ports (namespace ps-cn-${HOST}, iptables-nft), ${CHANGES} changes each; initial load ${initial.toFixed(0)} ms`);
    console.log('change               API write → kernel   p50 ms    p99 ms   spawns   neutron agent s');
    for (const [label, r, n] of [['pair change', pair, neutron.aap_change.neutron_s], ['membership change', member, neutron.member_change.neutron_s]] as const) {
      console.log(`  ${label.padEnd(38)} ${r.p50.toFixed(1).padStart(7)} ${r.p99.toFixed(1).padStart(9)} ${String(r.spawns).padStart(8)} ${n.toFixed(2).padStart(16)}`);
    }
  } finally {
    await app.close();
    await store.close();
    removeComputeNode(HOST);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
