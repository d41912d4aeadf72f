/**
 * bench/guard: what `--guard wide-pair-in-remote-group=reject` costs a write. One
 * store of 100,000 ports in 2,000 groups with 200,000 rules (half naming another
 * group as remote); the same port update (a new /32 pair, which the guard lets
 * through) through two servers on it, one guarded and one not, alternating A/B, and
 * the p50 and p99 of each with their ratio. The guard has no counterpart in Neutron:
 * the ratio is against portsec's own unguarded write.
 *
 *   node dist/bench/guard.js [--ports 100000] [--groups 2000] [--rules-per-group 100] [--updates 300]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Accounts } from '../src/api/identity.js';
import { buildServer } from '../src/api/server.js';
import { SqliteStore } from '../src/store/sqlite/store.js';

const { values } = parseArgs({ options: {
  ports: { type: 'string', default: '100000' }, groups: { type: 'string', default: '2000' },
  'rules-per-group': { type: 'string', default: '100' }, updates: { type: 'string', default: '300' },
} });
const PORTS = Number(values.ports);
const GROUPS = Number(values.groups);
const RULES = Number(values['rules-per-group']);
const UPDATES = Number(values.updates);
const PROJECT = 'bench-project';
const HEADERS = { 'x-user-id': 'bench', 'x-project-id': PROJECT, 'x-roles': 'admin', 'content-type': 'application/json' };

const dir = mkdtempSync(join(tmpdir(), 'portsec-bench-guard-'));
const store = new SqliteStore(join(dir, 'bench.db'));
const plain = buildServer({ store, auth: 'trusted-headers', accounts: new Accounts(undefined, undefined) });
const guarded = buildServer({ store, auth: 'trusted-headers', accounts: new Accounts(undefined, undefined), guard: { mode: 'reject' } });

async function call(app: typeof plain, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const res = await app.inject({ method, url, headers: HEADERS, payload: body === undefined ? undefined : JSON.stringify(body) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/**
 * The store filled through its repositories in one transaction (the API would take an hour for 100,000 ports):
 * groups, rules, ports with fixed IPs, every tenth with a pair.
 */
async function fill(): Promise<string[]> {
  const t0 = performance.now();
  const net = (await call(plain, 'POST', '/v2.0/networks', { network: { name: 'bench' } })).network.id;
  const subnet = (await call(plain, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.0.0.0/8', ip_version: 4 } })).subnet.id;
  const groups = Array.from({ length: GROUPS }, () => randomUUID());
  const ports: string[] = [];
  const made = { project_id: PROJECT, description: '', revision_number: 1 };
  await store.transaction(async (tx) => {
    for (const [i, g] of groups.entries()) await tx.securityGroups.create({ ...made, id: g, name: `g${i}`, stateful: true }, false);
    for (const [i, g] of groups.entries()) {
      for (let r = 0; r < RULES; r++) {
        const remote = r % 2 === 0 ? groups[(i + 1 + r) % GROUPS] : null;
        await tx.rules.create({
          ...made, id: randomUUID(), security_group_id: g, remote_group_id: remote, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp',
          port_range_min: 1000 + r, port_range_max: 1000 + r, remote_ip_prefix: remote ? null : `172.16.${r}.0/24`, remote_address_group_id: null,
        });
      }
    }
    for (let i = 0; i < PORTS; i++) {
      const id = randomUUID();
      const mac = `fa:16:3e:${[16, 8, 0].map((s) => ((i >> s) & 255).toString(16).padStart(2, '0')).join(':')}`;
      const n = i + 2; // past the network address and the gateway
      await tx.ports.create({
        ...made, id, network_id: net, name: `p${i}`, mac_address: mac, admin_state_up: true, status: 'DOWN', device_id: '', device_owner: 'compute:nova',
        port_security_enabled: true, host_id: '', vnic_type: 'normal', profile: {},
        fixed_ips: [{ subnet_id: subnet, ip_address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` }],
        allowed_address_pairs: i % 10 === 0 ? [{ mac_address: mac, ip_address: `10.200.${(i >> 8) & 255}.${i & 255}` }] : [],
        security_groups: [groups[i % GROUPS]],
      });
      ports.push(id);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  const counts = await store.snapshot(async (tx) => ({ ports: (await tx.ports.list()).length, rules: (await tx.rules.list()).length }));
  console.log(`bench/guard: store of ${counts.ports} ports, ${counts.rules} rules, ${GROUPS} groups, filled in ${seconds.toFixed(1)} s`);
  return ports;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

try {
  const ports = await fill();
  const times = { plain: [] as number[], guarded: [] as number[] };
  // warm both servers' code paths, then alternate A/B so the machine's noise falls on both
  for (let i = 0; i < UPDATES + 20; i++) {
    for (const [name, app] of (i % 2 ? [['plain', plain], ['guarded', guarded]] : [['guarded', guarded], ['plain', plain]]) as [keyof typeof times, typeof plain][]) {
      const id = ports[(i * 7919 + (name === 'plain' ? 1 : 2)) % ports.length];
      const t = performance.now();
      await call(app, 'PUT', `/v2.0/ports/${id}`, { port: { name: `u${i}`, allowed_address_pairs: [{ ip_address: `10.201.${i & 255}.${(i >> 8) & 255}` }] } });
      if (i >= 20) times[name].push(performance.now() - t);
    }
  }
  const row = (name: string, xs: number[]) => `${name.padEnd(12)} ${pct(xs, 0.5).toFixed(2).padStart(8)} ${pct(xs, 0.99).toFixed(2).padStart(8)}`;
  console.log(`${UPDATES} port updates each (a new /32 pair and a name), alternating`);
  console.log(`${'server'.padEnd(12)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  console.log(row('unguarded', times.plain));
  console.log(row('guarded', times.guarded));
  console.log(`guarded / unguarded: p50 ${(pct(times.guarded, 0.5) / pct(times.plain, 0.5)).toFixed(2)}x, p99 ${(pct(times.guarded, 0.99) / pct(times.plain, 0.99)).toFixed(2)}x`);
} finally {
  await Promise.all([plain.close(), guarded.close()]);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
