/**
 * Address groups reach the compute node as the fixed Neutron releases (21.2.1+) enforce them:
 * a rule naming one admits exactly the group's addresses of its family, follows their changes,
 * and admits nothing while the group has none (never any source, Neutron 21.0.0's bug).
 * Real HTTP to `portsec serve`, then `portsec compile --host` on its database; the analyzer
 * reads the same from the database, from a snapshot file and from the live API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readChanges } from '../src/dataplane/changes.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { api, as, portsec, type RunningServer, startServer } from './support/server.js';

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(['--auth', 'trusted-headers']);
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const call = async (method: string, path: string, body?: unknown, headers = as('proj-a')) => {
  const r = await api(server.url, method, path, headers, body);
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
};

/** The node's iptables rules that match TCP port 443. */
async function https(): Promise<string[]> {
  const out = await portsec('compile', '--db', server.db, '--host', 'node-1');
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.split('\n').filter((l) => l.includes('--dport 443'));
}

/**
 * can-reach's ingress step for a new TCP flow to web1's port 443 from `source`, on portsec's
 * database: whether web1's rules admit it (the source, outside the cloud, has no way in: the
 * verdict is DENY whatever the rules say).
 */
async function admitted(source: string, input: string[] = ['--db', server.db]): Promise<boolean> {
  const out = await portsec('can-reach', source, 'web1', '--protocol', 'tcp', '--port', '443', ...input, '-f', 'raw');
  expect(out.stdout, out.stderr).not.toBe('');
  const steps = (JSON.parse(out.stdout) as { steps: { stage: string; ok: boolean }[] }).steps;
  return steps.find((s) => s.stage === 'ingress')!.ok;
}

test('a rule with a remote address group admits its addresses of the rule family, as they change, and nothing when it has none', async () => {
  const net = (await call('POST', '/v2.0/networks', { network: { name: 'n' } })).network.id;
  await call('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.9.0.0/24', ip_version: 4 } });
  const sg = (await call('POST', '/v2.0/security-groups', { security_group: { name: 'web' } })).security_group.id;
  const ag = (await call('POST', '/v2.0/address-groups', { address_group: { name: 'clients', addresses: ['192.0.2.0/24', '2001:db8::/64'] } })).address_group.id;
  await call('POST', '/v2.0/security-group-rules', {
    security_group_rule: { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_address_group_id: ag },
  });
  // binding a port to a host is the admin's (Nova's) part
  await call('POST', '/v2.0/ports', { port: { project_id: 'proj-a', name: 'web1', network_id: net, security_groups: [sg], 'binding:host_id': 'node-1' } }, as('admin', 'admin'));

  const first = await https();
  expect(first).toHaveLength(1);
  expect(first[0]).toContain('-s 192.0.2.0/24');
  // the analyzer reads the same: a source in the group reaches the port, one outside does not
  expect(await admitted('192.0.2.5')).toBe(true);
  expect(await admitted('203.0.113.1')).toBe(false);

  // a snapshot (of the database, and of the live API) carries the address groups; a dump without them is refused
  const dir = mkdtempSync(join(tmpdir(), 'portsec-ag-'));
  try {
    for (const [name, input] of [['db.json', ['--db', server.db]], ['live.json', ['--os-endpoint', server.url, '--os-auth-type', 'none']]] as const) {
      const file = join(dir, name);
      const out = await portsec('snapshot', ...input, '-o', file);
      expect(out.code, out.stderr).toBe(0);
      const snapshot = JSON.parse(readFileSync(file, 'utf8'));
      expect(snapshot.address_groups.map((a: { id: string }) => a.id), name).toEqual([ag]);
      expect(await admitted('192.0.2.5', ['--files', file]), name).toBe(true);
      expect(await admitted('203.0.113.1', ['--files', file]), name).toBe(false);
      delete snapshot.address_groups;
      writeFileSync(file, JSON.stringify(snapshot));
      const refused = await portsec('can-reach', '192.0.2.5', 'web1', '--protocol', 'tcp', '--port', '443', '--files', file);
      expect(refused.code, name).not.toBe(0);
      expect(refused.stderr, name).toContain(`the addresses of remote address group ${ag} are not given`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // a running agent reads the change as one to the group whose rule names the address group, with its new addresses
  const store = new SqliteStore(server.db);
  try {
    const before = await store.changes.last();
    await call('PUT', `/v2.0/address-groups/${ag}/add_addresses`, { addresses: ['198.51.100.7/32'] });
    const read = (await store.snapshot((tx) => readChanges(tx, before)))!;
    expect(read.groups.map((g) => g.id)).toEqual([sg]);
    const rules = read.groups[0].security_group_rules as { remote_address_group_id?: string; remote_address_group_addresses?: string[] }[];
    expect(rules.find((r) => r.remote_address_group_id === ag)?.remote_address_group_addresses).toEqual(['192.0.2.0/24', '2001:db8::/64', '198.51.100.7/32']);
  } finally {
    await store.close();
  }
  const second = await https();
  expect(second).toHaveLength(2);
  expect(second.join('\n')).toContain('-s 198.51.100.7/32');

  await call('PUT', `/v2.0/address-groups/${ag}/remove_addresses`, { addresses: ['192.0.2.0/24', '198.51.100.7/32'] });
  expect(await https()).toEqual([]);
  expect(await admitted('192.0.2.5')).toBe(false);
}, 60_000);
