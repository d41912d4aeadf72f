/**
 * The storage seam: a list the database filters, sorts and pages (a repository
 * query) answers exactly as the API's own filters and pages over every visible
 * item, for random queries over ports and rules (NULLs, booleans, ties, markers,
 * reversed pages, two projects); ports' fixed_ips and security_groups filters
 * select what Neutron's do, before the page is cut; a transaction's writes are all or nothing; and
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
import { addressGroupSpec } from '../src/model/address-group.js';
import { portSpec } from '../src/model/port.js';
import { type ResourceSpec } from '../src/model/schema.js';
import { ruleSpec } from '../src/model/security-group-rule.js';
import { addressGroupHandler } from '../src/store/address-groups.js';
import { type Handler } from '../src/store/handler.js';
import { portHandler } from '../src/store/ports.js';
import { ruleHandler } from '../src/store/security-group-rules.js';
import { MIGRATIONS } from '../src/store/sqlite/schema.js';
import { SqliteStore } from '../src/store/sqlite/store.js';

let dir: string;
let store: SqliteStore;
let app: ReturnType<typeof buildServer>;
const PROJECTS = ['proj-a', 'proj-b'];
/** the subnets' and groups' ids (the filters' values) */
const ids: string[] = [];
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
    const subnets: string[] = [];
    for (const cidr of ['10.0.0.0/24', '10.0.1.0/24']) {
      subnets.push((await call('POST', '/v2.0/subnets', project, { subnet: { network_id: net, cidr, ip_version: 4 } })).body.subnet.id);
    }
    const sg = (await call('POST', '/v2.0/security-groups', project, { security_group: { name: 'g' } })).body.security_group.id;
    const [def] = (await call('GET', '/v2.0/security-groups?name=default', project)).body.security_groups;
    ids.push(...subnets, sg, def.id);
    const addressGroups: string[] = [];
    for (const [i, name] of ['x', 'y', 'x'].entries()) {
      const body = { address_group: { name, ...(i ? { description: 'd' } : {}), addresses: [`10.${i}.0.0/16`] } };
      addressGroups.push((await call('POST', '/v2.0/address-groups', project, body)).body.address_group.id);
    }
    for (let i = 0; i < 12; i++) {
      // repeated names and owners: sorts need their tie-breaks; ports with one address or two, on either subnet, in one group or two
      const port = {
        network_id: net, name: ['a', 'b', 'c', ''][i % 4], admin_state_up: i % 3 !== 0, device_owner: i % 5 ? 'compute:nova' : '', ...(i % 6 ? {} : { description: 'x' }),
        ...(i % 4 === 0 ? { fixed_ips: subnets.map((subnet_id) => ({ subnet_id })) } : i % 4 === 1 ? { fixed_ips: [{ subnet_id: subnets[1] }] } : {}),
        ...(i % 3 === 0 ? { security_groups: [sg] } : i % 3 === 2 ? { security_groups: [sg, def.id] } : {}),
      };
      expect((await call('POST', '/v2.0/ports', project, { port })).status).toBe(201);
      const rule = {
        security_group_id: sg, direction: i % 2 ? 'ingress' : 'egress', ethertype: 'IPv4',
        ...(i % 3 ? { protocol: 'tcp', port_range_min: 1000 + (i % 4), port_range_max: 2000 + i } : {}),
        // no two alike, nor like the default group's rules
        ...(i % 4 === 1 ? { remote_group_id: sg } : i % 4 === 3 ? { remote_address_group_id: addressGroups[i % 3] } : i % 4 === 2 || i % 3 === 0 ? { remote_ip_prefix: `10.${i}.0.0/16` } : {}),
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
      // values the attributes' convert_to takes (Neutron refuses 'None' or 'x' here, as portsec does)
      fc.tuple(fc.constant('protocol'), fc.constantFrom('tcp', 'TCP', 'udp')),
      fc.tuple(fc.constant('port_range_min'), fc.constantFrom('1000', '1001', '01002')),
      fc.tuple(fc.constant('direction'), fc.constantFrom('ingress', 'egress')),
      fc.tuple(fc.constant('remote_group_id'), fc.constantFrom('None', 'nope')),
      fc.tuple(fc.constant('remote_address_group_id'), fc.constantFrom('None', 'nope')),
    ),
    sort: fc.tuple(fc.constantFrom('protocol', 'port_range_min', 'remote_group_id', 'remote_ip_prefix', 'remote_address_group_id', 'direction', 'ethertype'), sortDir),
  },
  {
    path: 'address-groups', spec: addressGroupSpec, handler: addressGroupHandler(),
    filter: fc.oneof(
      fc.tuple(fc.constant('name'), fc.constantFrom('x', 'y', 'z')),
      fc.tuple(fc.constant('description'), fc.constantFrom('d', '')),
      fc.tuple(fc.constantFrom('project_id', 'tenant_id'), fc.constantFrom(...PROJECTS)),
    ),
    sort: fc.tuple(fc.constantFrom('name', 'description', 'project_id', 'id'), sortDir),
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
        const { query, rest } = storeQuery(q, c.handler.columns, c.handler.sets);
        expect(rest, 'every filter and sort here is a stored column').toBeUndefined();
        const ctx = { userId: 'u', projectId: r.who, roles: [], isAdmin: r.who === 'admin' };
        const viaDb = await store.snapshot((tx) => c.handler.list(tx, ctx, query));
        const visible = await store.snapshot((tx) => c.handler.list(tx, ctx));
        const inMemory = page(applyFilters(visible, q.filters), q, visible.find((i) => i.id === q.marker)).items;
        expect(viaDb.map((i) => i.id), JSON.stringify(params)).toEqual(inMemory.map((i) => i.id));
      },
    ), { numRuns: 400, seed: 20261207 });
  });
}

type PortView = { id: string; fixed_ips: { ip_address: string; subnet_id: string }[]; security_groups: string[] };

/** SQL's LIKE, as Neutron's MySQL runs it: `%` any text, `_` one character, ASCII letters in either case. */
const like = (text: string, pattern: string) =>
  new RegExp(`^${[...pattern].map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'is').test(text);

/**
 * Neutron's own port filters (ML2's _get_ports_query): fixed_ips' ip_address and
 * subnet_id each on any of the port's addresses, ip_address_substr as LIKE
 * '%…%', other keys ignored; security_groups: in any of them.
 */
function neutronMatches(port: PortView, filters: [string, string][]): boolean {
  const fixed = new Map<string, string[]>();
  for (const [k, v] of filters) {
    if (k !== 'fixed_ips') continue;
    const [key, value] = v.split(/=(.*)/s);
    fixed.set(key, [...(fixed.get(key) ?? []), value]);
  }
  const groups = filters.filter(([k]) => k === 'security_groups').map(([, v]) => v);
  const any = (key: string, hit: (ip: PortView['fixed_ips'][number], wanted: string) => boolean) =>
    !fixed.has(key) || port.fixed_ips.some((ip) => fixed.get(key)!.some((w) => hit(ip, w)));
  return any('ip_address', (ip, w) => ip.ip_address === w) && any('subnet_id', (ip, w) => ip.subnet_id === w)
    && any('ip_address_substr', (ip, w) => like(ip.ip_address, `%${w}%`))
    && (!groups.length || port.security_groups.some((g) => groups.includes(g)));
}

test('ports by fixed_ips and security_groups: the database filters, then pages, as Neutron does', async () => {
  const everything = (await call('GET', '/v2.0/ports', 'x', undefined, true)).body.ports as PortView[];
  const addresses = [...new Set(everything.flatMap((p) => p.fixed_ips.map((i) => i.ip_address)))];
  const setFilter = fc.oneof(
    fc.tuple(fc.constant('fixed_ips'), fc.constantFrom(...addresses, '10.0.9.9').map((a) => `ip_address=${a}`)),
    fc.tuple(fc.constant('fixed_ips'), fc.constantFrom(...ids, 'nope').map((id) => `subnet_id=${id}`)),
    fc.tuple(fc.constant('fixed_ips'), fc.constantFrom('10.0.1.', '.1', '_', '%', '0.0.1_', '.9', '').map((t) => `ip_address_substr=${t}`)),
    fc.tuple(fc.constant('fixed_ips'), fc.constant('colour=red')),
    fc.tuple(fc.constant('security_groups'), fc.constantFrom(...ids, 'nope')),
  );
  const handler = portHandler();
  await fc.assert(fc.asyncProperty(
    fc.record({
      sets: fc.array(setFilter, { minLength: 1, maxLength: 3 }),
      names: fc.array(fc.tuple(fc.constant('name'), fc.constantFrom('a', 'b', '')), { maxLength: 1 }),
      sorts: fc.array(fc.tuple(fc.constantFrom('name', 'mac_address', 'admin_state_up'), sortDir), { maxLength: 2 }),
      limit: fc.option(fc.integer({ min: 1, max: 5 })),
      marker: fc.option(fc.constantFrom(...everything.map((p) => p.id))),
      reverse: fc.boolean(),
      who: fc.constantFrom(...PROJECTS, 'admin'),
    }),
    async (r) => {
      const params: [string, string][] = [...r.sets, ...r.names, ...r.sorts.flatMap(([k, d]): [string, string][] => [['sort_key', k], ['sort_dir', d]])];
      if (r.limit !== null) params.push(['limit', String(r.limit)]);
      if (r.marker !== null) params.push(['marker', r.marker]);
      if (r.reverse) params.push(['page_reverse', 'True']);
      const q = parseListQuery(portSpec, params);
      const { query, rest } = storeQuery(q, handler.columns, handler.sets);
      expect(rest, 'the store does every port filter').toBeUndefined();
      const ctx = { userId: 'u', projectId: r.who, roles: [], isAdmin: r.who === 'admin' };
      const viaDb = await store.snapshot((tx) => handler.list(tx, ctx, query));
      const visible = await store.snapshot((tx) => handler.list(tx, ctx));
      const filtered = applyFilters(visible.filter((p) => neutronMatches(p as PortView, r.sets)), new Map(r.names.map(([k, v]) => [k, [v]])));
      const expected = page(filtered, q, visible.find((p) => p.id === q.marker)).items;
      expect(viaDb.map((i) => i.id), JSON.stringify(params)).toEqual(expected.map((i) => i.id));
    },
  ), { numRuns: 400, seed: 20261207 });
});

test('one port a page by fixed_ips: every port on the subnet once, in id order, each page full; a marker off the subnet pages from its place', async () => {
  const everything = (await call('GET', '/v2.0/ports', 'x', undefined, true)).body.ports as PortView[];
  const subnet = ids[1];
  const on = everything.filter((p) => p.fixed_ips.some((i) => i.subnet_id === subnet)).map((p) => p.id).sort();
  expect(on.length, 'the subnet has ports').toBeGreaterThan(2);
  expect(on.length, 'and not every port').toBeLessThan(everything.length);
  const seen: string[] = [];
  let url: string | undefined = `/v2.0/ports?fixed_ips=subnet_id%3D${subnet}&limit=1`;
  while (url) {
    const { status, body } = await call('GET', url, 'x', undefined, true);
    expect(status).toBe(200);
    if (!body.ports.length) break;
    expect(body.ports, url).toHaveLength(1);
    seen.push(body.ports[0].id);
    const next = (body.ports_links as { rel: string; href: string }[]).find((l) => l.rel === 'next')?.href;
    url = next && next.slice(next.indexOf('/v2.0'));
  }
  expect(seen).toEqual(on);
  // Neutron reads the marker by id: a port off the subnet marks a place in the order, the page is the subnet's ports after it
  const off = everything.map((p) => p.id).filter((id) => !on.includes(id) && id > on[0] && id < on[on.length - 1]).sort()[0];
  expect(off, 'a port off the subnet between two on it').toBeDefined();
  const after = (await call('GET', `/v2.0/ports?fixed_ips=subnet_id%3D${subnet}&limit=1&marker=${off}`, 'x', undefined, true)).body.ports;
  expect(after.map((p: PortView) => p.id)).toEqual([on.find((id) => id > off)]);
  const before = (await call('GET', `/v2.0/ports?fixed_ips=subnet_id%3D${subnet}&limit=1&marker=${off}&page_reverse=True`, 'x', undefined, true)).body.ports;
  expect(before.map((p: PortView) => p.id)).toEqual([on.filter((id) => id < off).pop()]);
});

test('fixed_ips filters are key=value (a malformed one is InvalidInput, an unknown key is ignored), as Neutron parses them', async () => {
  const bad = await call('GET', '/v2.0/ports?fixed_ips=10.0.0.5', 'proj-a');
  expect(bad.status).toBe(400);
  expect(bad.body.NeutronError).toMatchObject({ type: 'InvalidInput', message: "Invalid input for operation: '10.0.0.5' is not of the form <key>=[value]." });
  const all = (await call('GET', '/v2.0/ports?fields=id', 'proj-a')).body.ports;
  expect(all.length).toBeGreaterThan(0);
  expect((await call('GET', '/v2.0/ports?fields=id&fixed_ips=colour%3Dred', 'proj-a')).body.ports).toEqual(all);
  // keys and values trimmed
  const [port] = (await call('GET', '/v2.0/ports?limit=1', 'proj-a')).body.ports as PortView[];
  const found = (await call('GET', `/v2.0/ports?fields=id&fixed_ips=%20ip_address%20%3D%20${port.fixed_ips[0].ip_address}%20`, 'proj-a')).body.ports;
  expect(found.map((p: PortView) => p.id)).toContain(port.id);
});

test('tag filters: nothing has tags, so tags and tags-any select nothing, not-tags and not-tags-any everything', async () => {
  for (const path of ['ports', 'subnets', 'security-group-rules']) {
    const key = path.replaceAll('-', '_');
    const all = (await call('GET', `/v2.0/${path}?fields=id`, 'proj-a')).body[key];
    expect(all.length, path).toBeGreaterThan(1);
    for (const f of ['tags', 'tags-any']) expect((await call('GET', `/v2.0/${path}?fields=id&${f}=x`, 'proj-a')).body[key], `${path} ${f}`).toEqual([]);
    for (const f of ['not-tags', 'not-tags-any']) {
      expect((await call('GET', `/v2.0/${path}?fields=id&${f}=x`, 'proj-a')).body[key], `${path} ${f}`).toEqual(all);
      // paged: in id order
      const [first, second] = all.map((i: { id: string }) => i.id).sort();
      expect((await call('GET', `/v2.0/${path}?fields=id&${f}=x&limit=1&marker=${first}`, 'proj-a')).body[key], `${path} ${f} paged`).toEqual([{ id: second }]);
    }
  }
});

test('lists and shows read a snapshot: another connection holding the write lock holds none of them up', async () => {
  const port = (await call('GET', '/v2.0/ports?limit=1', 'proj-a')).body.ports[0].id;
  const writer = new Database(join(dir, 'store.db'));
  writer.exec('BEGIN IMMEDIATE');
  try {
    const t0 = performance.now();
    // a project whose default group exists: its group and rule lists have nothing to write either
    for (const url of ['/v2.0/ports?limit=2', `/v2.0/ports/${port}`, '/v2.0/networks', '/v2.0/security-groups', '/v2.0/security-group-rules?limit=3']) {
      expect((await call('GET', url, 'proj-a')).status, url).toBe(200);
    }
    // a write lock would have kept each waiting for the busy timeout (5 s), then failed
    expect(performance.now() - t0).toBeLessThan(2000);
  } finally {
    writer.exec('ROLLBACK');
    writer.close();
  }
});

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

test('problems: a standard attribute a deleted network left behind, a port naming a group that is not there', async () => {
  const broken = new SqliteStore(join(dir, 'broken.db'));
  try {
    expect(await broken.problems()).toEqual([]);
    const net = await broken.networks.create({ id: 'n1', project_id: 'p', name: 'n', admin_state_up: true, shared: false, port_security_enabled: true, external: false, mtu: 1450, description: '' });
    // as if the delete trigger had never been made
    broken.db.raw.exec('DROP TRIGGER networks_std');
    await broken.networks.remove(net.id);
    broken.db.raw.pragma('foreign_keys = OFF');
    broken.db.raw.prepare("INSERT INTO port_security_groups (port_id, security_group_id) VALUES ('nope', 'gone')").run();
    const found = await broken.problems();
    expect(found).toContain(`standard attributes ${net.standard_attr_id} (networks) belong to nothing`);
    expect(found.filter((p) => p.startsWith('port_security_groups row'))).toHaveLength(2);
    expect(found).toHaveLength(3);
  } finally {
    await broken.close();
  }
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
