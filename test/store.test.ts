/**
 * The storage seam: a list the database filters, sorts and pages (a repository
 * query) answers exactly as the API's own filters and pages over every visible
 * item, for random queries over ports and rules (NULLs, booleans, ties, markers,
 * reversed pages, two projects); a transaction's writes are all or nothing; and
 * a database from before tokens were a migration keeps its tokens.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Accounts } from '../src/api/identity.js';
import { applyFilters, page, parseListQuery, storeQuery } from '../src/api/query.js';
import { buildServer } from '../src/api/server.js';
import { portSpec } from '../src/model/port.js';
import { type ResourceSpec } from '../src/model/schema.js';
import { ruleSpec } from '../src/model/security-group-rule.js';
import { type Handler } from '../src/store/handler.js';
import { portHandler } from '../src/store/ports.js';
import { ruleHandler } from '../src/store/security-group-rules.js';
import { MIGRATIONS } from '../src/store/sqlite/schema.js';
import { SqliteStore } from '../src/store/sqlite/store.js';

let dir: string;
let store: SqliteStore;
let app: ReturnType<typeof buildServer>;
const PROJECTS = ['proj-a', 'proj-b'];
const headers = (project: string, admin = false) => ({ 'x-user-id': 'u', 'x-project-id': project, 'x-roles': admin ? 'admin' : 'member', 'content-type': 'application/json' });

async function call(method: 'GET' | 'POST', url: string, project: string, body?: unknown, admin = false) {
  const res = await app.inject({ method, url, headers: headers(project, admin), payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, body: res.json() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portsec-store-'));
  store = new SqliteStore(join(dir, 'store.db'));
  app = buildServer({ store, auth: 'trusted-headers', accounts: new Accounts(undefined, undefined), allocationSeed: 7 });
  for (const project of PROJECTS) {
    const net = (await call('POST', '/v2.0/networks', project, { network: { name: 'n' } })).body.network.id;
    await call('POST', '/v2.0/subnets', project, { subnet: { network_id: net, cidr: '10.0.0.0/24', ip_version: 4 } });
    const sg = (await call('POST', '/v2.0/security-groups', project, { security_group: { name: 'g' } })).body.security_group.id;
    for (let i = 0; i < 12; i++) {
      // repeated names and owners: sorts need their tie-breaks
      const port = { network_id: net, name: ['a', 'b', 'c', ''][i % 4], admin_state_up: i % 3 !== 0, device_owner: i % 5 ? 'compute:nova' : '', ...(i % 6 ? {} : { description: 'x' }) };
      expect((await call('POST', '/v2.0/ports', project, { port })).status).toBe(201);
      const rule = {
        security_group_id: sg, direction: i % 2 ? 'ingress' : 'egress', ethertype: 'IPv4',
        ...(i % 3 ? { protocol: 'tcp', port_range_min: 1000 + (i % 4), port_range_max: 2000 + i } : {}),
        // no two alike, nor like the default group's rules
        ...(i % 4 === 1 ? { remote_group_id: sg } : i % 4 === 2 || i % 3 === 0 ? { remote_ip_prefix: `10.${i}.0.0/16` } : {}),
      };
      expect((await call('POST', '/v2.0/security-group-rules', project, { security_group_rule: rule })).status).toBe(201);
    }
  }
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sortDir = fc.constantFrom('asc', 'desc');
interface Case {
  path: string;
  spec: ResourceSpec;
  handler: Handler;
  filter: fc.Arbitrary<[string, string]>;
  sort: fc.Arbitrary<[string, 'asc' | 'desc']>;
}
const cases: Case[] = [
  {
    path: 'ports', spec: portSpec, handler: portHandler(),
    filter: fc.oneof(
      fc.tuple(fc.constant('name'), fc.constantFrom('a', 'b', 'z', '')),
      fc.tuple(fc.constant('admin_state_up'), fc.constantFrom('True', 'false', '1', '0', 'yes', 'TRUE')),
      fc.tuple(fc.constant('device_owner'), fc.constantFrom('compute:nova', '')),
      fc.tuple(fc.constant('description'), fc.constantFrom('x', '', 'None')),
      fc.tuple(fc.constant('revision_number'), fc.constantFrom('1', '01', '2')),
      fc.tuple(fc.constantFrom('project_id', 'tenant_id'), fc.constantFrom(...PROJECTS)),
    ),
    sort: fc.tuple(fc.constantFrom('name', 'admin_state_up', 'device_owner', 'mac_address', 'description', 'id'), sortDir),
  },
  {
    path: 'security-group-rules', spec: ruleSpec, handler: ruleHandler(),
    filter: fc.oneof(
      fc.tuple(fc.constant('protocol'), fc.constantFrom('tcp', 'None', 'udp')),
      fc.tuple(fc.constant('port_range_min'), fc.constantFrom('1000', '1001', 'None', 'x')),
      fc.tuple(fc.constant('direction'), fc.constantFrom('ingress', 'egress')),
      fc.tuple(fc.constant('remote_group_id'), fc.constantFrom('None', 'nope')),
    ),
    sort: fc.tuple(fc.constantFrom('protocol', 'port_range_min', 'remote_group_id', 'remote_ip_prefix', 'direction', 'ethertype'), sortDir),
  },
];

for (const c of cases) {
  test(`${c.path}: the database's filters, sorts and pages equal the API's over every visible item`, async () => {
    const everything = (await call('GET', `/v2.0/${c.path}`, 'x', undefined, true)).body[c.path.replaceAll('-', '_')] as { id: string }[];
    const ids = everything.map((i) => i.id);
    await fc.assert(fc.asyncProperty(
      fc.record({
        filters: fc.array(c.filter, { maxLength: 2 }),
        sorts: fc.array(c.sort, { maxLength: 2 }),
        limit: fc.option(fc.integer({ min: 1, max: 7 })),
        marker: fc.option(fc.oneof(fc.constantFrom(...ids), fc.uuid())),
        reverse: fc.boolean(),
        who: fc.constantFrom(...PROJECTS, 'admin'),
      }),
      async (r) => {
        const params: [string, string][] = [...r.filters, ...r.sorts.flatMap(([k, d]): [string, string][] => [['sort_key', k], ['sort_dir', d]])];
        if (r.limit !== null) params.push(['limit', String(r.limit)]);
        if (r.marker !== null) params.push(['marker', r.marker]);
        if (r.reverse) params.push(['page_reverse', 'True']);
        const q = parseListQuery(c.spec, params);
        const pushed = storeQuery(q, c.handler.columns);
        expect(pushed, 'every filter and sort here is a stored column').toBeDefined();
        const ctx = { userId: 'u', projectId: r.who, roles: [], isAdmin: r.who === 'admin' };
        const viaDb = await store.transaction((tx) => c.handler.list(tx, ctx, q.filters, pushed));
        const inMemory = page(applyFilters(await store.transaction((tx) => c.handler.list(tx, ctx, q.filters)), q.filters), q).items;
        expect(viaDb.map((i) => i.id), JSON.stringify(params)).toEqual(inMemory.map((i) => i.id));
      },
    ), { numRuns: 400, seed: 20261207 });
  });
}

test('a transaction that throws leaves nothing behind; reads outside it wait for it', async () => {
  const before = (await store.ports.list()).length;
  let seenInside = -1;
  let outside: Promise<number> | undefined;
  const attempt = store.transaction(async (tx) => {
    const [any] = await tx.ports.list({ limit: 1 });
    await tx.ports.remove(any.id);
    // a read on the store's own repositories waits for the transaction: it must not see this delete
    outside = store.ports.list().then((ps) => ps.length);
    seenInside = (await tx.ports.list()).length;
    await new Promise((r) => setTimeout(r, 20));
    throw new Error('refused');
  });
  await expect(attempt).rejects.toThrow('refused');
  expect(seenInside).toBe(before - 1);
  expect(await outside).toBe(before);
  expect((await store.ports.list()).length).toBe(before);
});

test('a database of schema 2, with the tokens and view_versions tables servers made themselves, migrates keeping both', async () => {
  const file = join(dir, 'old.db');
  const old = new Database(file);
  for (const m of MIGRATIONS.slice(0, 2)) old.exec(m as string);
  // the tokens table as the first servers made it: no methods, no audit_id
  old.exec(`CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, issued_at TEXT NOT NULL, expires_at TEXT NOT NULL);
    CREATE TABLE view_versions (view TEXT PRIMARY KEY, version INTEGER NOT NULL, digest TEXT NOT NULL)`);
  old.prepare('INSERT INTO tokens VALUES (?, ?, ?, ?)').run('h1', JSON.stringify({ userId: 'u1' }), '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z');
  old.prepare('INSERT INTO view_versions VALUES (?, ?, ?)').run('*', 7, 'd');
  old.pragma('user_version = 2');
  old.close();
  const migrated = new SqliteStore(file);
  try {
    expect(migrated.db.raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(await migrated.tokens.get('h1')).toEqual({
      hash: 'h1', principal: { userId: 'u1' }, issuedAt: '2026-01-01T00:00:00Z', expiresAt: '2099-01-01T00:00:00Z', methods: ['password'], auditId: '',
    });
    expect(await migrated.views.get('*')).toEqual({ version: 7, digest: 'd' });
    await migrated.tokens.add({ hash: 'h2', principal: {}, issuedAt: 'a', expiresAt: 'b', methods: ['token'], auditId: 'x' });
    expect((await migrated.tokens.all()).map((t) => t.hash).sort()).toEqual(['h1', 'h2']);
  } finally {
    await migrated.close();
  }
});
