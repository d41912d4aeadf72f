/**
 * Bad input never yields a 5xx or a partial write: 10,000 random and mutated
 * requests over real HTTP against a real SQLite store, their paths also
 * percent-encoded and in absolute form, their bodies also over the size limit
 * or nested thousands deep; after every refused
 * request the store is unchanged, and its invariants hold at the end, all read
 * through the store's interface (its repositories, and the problems it reports).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { request as httpRequest } from 'node:http';
import { openStore } from '../src/store/open.js';
import { type Repositories, type Store } from '../src/store/repository.js';
import { as, type RunningServer, startServer } from './support/server.js';

let server: RunningServer;
let store: Store;
beforeAll(async () => {
  server = await startServer(['--auth', 'trusted-headers', '--max-body-bytes', String(BODY_LIMIT)]);
  store = openStore(server.db);
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
});

/** Everything the store holds, read through its repositories from one snapshot. */
async function everything(db: Repositories) {
  const [networks, subnets, ports, groups, rules] = await Promise.all([
    db.networks.list(), db.subnets.list(), db.ports.list(), db.securityGroups.list(), db.rules.list(),
  ]);
  const defaults = await Promise.all([...new Set([...networks, ...ports, ...groups].map((x) => x.project_id))]
    .map(async (p) => [p, await db.securityGroups.defaultOf(p)] as const));
  return { networks, subnets, ports, groups, rules, defaults: new Map(defaults) };
}

const read = () => store.snapshot(everything);
const dump = async () => JSON.stringify(await read(), (_k, v) => (v instanceof Map ? [...v] : v));

const COLLECTIONS = ['networks', 'subnets', 'ports', 'security-groups', 'security-group-rules'] as const;
const SINGULAR: Record<string, string> = {
  networks: 'network', subnets: 'subnet', ports: 'port', 'security-groups': 'security_group', 'security-group-rules': 'security_group_rule',
};
const WHO = { a: as('proj-a'), b: as('proj-b'), admin: as('admin-project', 'admin') };
const known: Record<string, string[]> = Object.fromEntries(COLLECTIONS.map((c) => [c, []]));

/** An id the server handed out (by index at run time), or junk. */
type IdRef = { kind: (typeof COLLECTIONS)[number]; index: number } | string;
const resolveId = (r: IdRef): unknown => (typeof r === 'string' ? r : known[r.kind][r.index % Math.max(known[r.kind].length, 1)] ?? 'missing');
const idRef = (kind: (typeof COLLECTIONS)[number]) => fc.oneof({ weight: 8, arbitrary: fc.nat().map((index): IdRef => ({ kind, index })) },
  { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.string()) });

/** mostly valid values, sometimes not: refused and accepted requests both get exercised */
const usually = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: bad });
const ip = usually(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.1.1.2', '10.1.1.0/24', '0.0.0.0/0', '::/0', '10.1.1.5/28')),
  fc.constantFrom('10.1.1.300', 'foo', '', '10.0.0.0/40'));
const mac = usually(fc.mixedCase(fc.constant('fa:16:3e:00:00:01')), fc.constantFrom('not-a-mac', '00:00:00:00:00:00'));
const pair = usually(fc.record({ ip_address: ip, mac_address: mac }, { requiredKeys: ['ip_address'] }),
  fc.oneof(fc.record({ foo: fc.anything() }), fc.string()));
const pairs = usually(fc.array(pair, { maxLength: 12 }), fc.constantFrom(null, '', {}, 'x'));
const protocol = fc.oneof(fc.constantFrom('tcp', 'udp', 'icmp', 'TCP', '6', '132', 'any', 'foo', 'ipv6-icmp', null), fc.integer({ min: -5, max: 300 }));
const port = fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constantFrom(null, '443', 'x'));

const bodies: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  networks: fc.record({ name: fc.string(), shared: usually(fc.constant(false), fc.oneof(fc.boolean(), fc.string())),
    port_security_enabled: usually(fc.boolean(), fc.constant('nope')) }, { requiredKeys: [] }),
  subnets: fc.record({
    network_id: idRef('networks'), ip_version: fc.constantFrom(4, 6, 5, '4'),
    cidr: fc.constantFrom('10.1.1.0/24', '10.1.2.0/24', '10.1.1.128/25', 'fd00:1::/64', '10.0.0.0/33', 'garbage', '10.9.0.0/30'),
    gateway_ip: fc.oneof(ip, fc.constant(null)), allocation_pools: fc.constantFrom([{ start: '10.1.1.10', end: '10.1.1.20' }], [{ start: 'x' }], 'no'),
  }, { requiredKeys: ['network_id', 'ip_version', 'cidr'] }),
  ports: fc.record({
    network_id: idRef('networks'), name: fc.string(), mac_address: mac,
    fixed_ips: usually(fc.array(fc.record({ subnet_id: idRef('subnets'), ip_address: ip }, { requiredKeys: [] }), { maxLength: 2 }), fc.constant('x')),
    allowed_address_pairs: pairs, port_security_enabled: usually(fc.boolean(), fc.constant('maybe')),
    security_groups: usually(fc.array(idRef('security-groups'), { maxLength: 2 }), fc.constantFrom(null, 'nope')),
    'binding:host_id': fc.constantFrom('cn1', 'cn2'),
  }, { requiredKeys: ['network_id'] }).chain((b) => fc.subarray(Object.keys(b), { maxLength: 3 })
    .map((keep) => Object.fromEntries(Object.entries(b).filter(([k]) => k === 'network_id' || keep.includes(k))))),
  'security-groups': fc.record({ name: fc.oneof(fc.string(), fc.constantFrom('default', 'Default')), description: fc.string(), stateful: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] }),
  'security-group-rules': fc.record({
    security_group_id: idRef('security-groups'), direction: fc.constantFrom('ingress', 'egress', 'inbound'),
    ethertype: fc.constantFrom('IPv4', 'IPv6', 'ipv4', 'IPv5'), protocol, port_range_min: port, port_range_max: port,
    remote_ip_prefix: fc.oneof(ip, fc.constant(null)), remote_group_id: fc.oneof(idRef('security-groups'), fc.constant(null)),
  }, { requiredKeys: ['security_group_id', 'direction'] }),
};

/** Mutations of a plausible body: an unknown key, a value of the wrong type, or no body at all. */
const mutate = (b: fc.Arbitrary<Record<string, unknown>>) => fc.oneof(
  { weight: 10, arbitrary: b },
  { weight: 1, arbitrary: fc.tuple(b, fc.string(), fc.anything()).map(([x, k, v]) => ({ ...x, [k || 'bogus']: v })) },
  { weight: 1, arbitrary: fc.anything() as fc.Arbitrary<Record<string, unknown>> },
);

const request = fc.record({
  who: fc.constantFrom('a', 'a', 'b', 'admin') as fc.Arbitrary<keyof typeof WHO>,
  coll: fc.constantFrom(...COLLECTIONS),
  op: fc.constantFrom('list', 'show', 'create', 'create', 'create', 'update', 'update', 'delete'),
  index: fc.nat(),
  bulk: fc.boolean(),
  query: fc.constantFrom('', '?fields=id', '?sort_key=name&sort_dir=asc&limit=2', '?bogus=1', '?limit=-1', '?sort_key=name', '?name=x'),
  ifMatch: fc.option(fc.constantFrom('revision_number=0', 'revision_number=1', 'abc')),
  seed: fc.nat(),
  // how the request line and body are spelled: the router must decide auth and answer 4xx the same way for each
  spelling: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'encoded', 'absolute', 'oversized', 'deep'),
}).chain((r) => mutate(bodies[r.coll]).map((body) => ({ ...r, body })));

type Spelling = 'plain' | 'encoded' | 'absolute' | 'oversized' | 'deep';
const BODY_LIMIT = 65_536;

/** One request over raw HTTP, its path and body spelled as asked. */
function send(spelling: Spelling, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  const { host, hostname, port } = new URL(server.url);
  const target = spelling === 'encoded' ? path.replace(/^\/v/, '/%76') : spelling === 'absolute' ? `http://${host}${path}` : path;
  let text = body === undefined ? undefined : JSON.stringify(body);
  if (spelling === 'oversized') text = JSON.stringify({ padding: 'x'.repeat(BODY_LIMIT), body });
  if (spelling === 'deep') text = `{"x": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
  return new Promise((ok, fail) => {
    const req = httpRequest({ hostname, port, method, path: target, headers: { ...headers, ...(text === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(text)) }) } }, (res) => {
      let out = '';
      res.on('data', (d) => { out += d; });
      res.on('end', () => ok({ status: res.statusCode!, body: out ? JSON.parse(out) : undefined }));
    });
    req.on('error', fail);
    req.end(text);
  });
}

/** Replaces id references by ids the server handed out. */
function materialise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(materialise);
  if (v && typeof v === 'object') {
    if ('kind' in v && 'index' in v && Object.keys(v).length === 2) return resolveId(v as IdRef);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialise(x)]));
  }
  return v;
}

const revisions = new Map<string, number>();
function checkRevisions(v: unknown): void {
  if (Array.isArray(v)) return v.forEach(checkRevisions);
  if (!v || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  if (typeof o.id === 'string' && typeof o.revision_number === 'number') {
    expect(o.revision_number, `revision of ${o.id} went down`).toBeGreaterThanOrEqual(revisions.get(o.id) ?? 0);
    revisions.set(o.id, o.revision_number);
  }
  Object.values(o).forEach(checkRevisions);
}

test('10,000 random and mutated requests: no 5xx, no partial write, invariants hold', async () => {
  let refused = 0;
  await fc.assert(fc.asyncProperty(request, async (r) => {
    const singular = SINGULAR[r.coll];
    const id = String(resolveId({ kind: r.coll, index: r.index }));
    const body = materialise(r.body);
    const headers = { ...WHO[r.who], ...(r.ifMatch ? { 'If-Match': r.ifMatch } : {}) };
    const before = await dump();
    const call = (method: string, path: string, b?: unknown) => send(r.spelling as Spelling, method, path, headers, b);
    const res = r.op === 'list' ? await call('GET', `/v2.0/${r.coll}${r.query}`)
      : r.op === 'show' ? await call('GET', `/v2.0/${r.coll}/${id}`)
        : r.op === 'create' ? await call('POST', `/v2.0/${r.coll}`, r.bulk ? { [`${singular}s`]: [body, body] } : { [singular]: body })
          : r.op === 'update' ? await call('PUT', `/v2.0/${r.coll}/${id}`, { [singular]: body })
            : await call('DELETE', `/v2.0/${r.coll}/${id}`);
    if ((r.spelling === 'oversized' || r.spelling === 'deep') && (r.op === 'create' || r.op === 'update')) expect(res.status).toBe(r.spelling === 'oversized' ? 413 : 400);
    expect(res.status, JSON.stringify({ r, body, res })).toBeLessThan(500);
    if (res.status >= 400) {
      refused++;
      expect(res.body?.NeutronError?.message, 'errors say what is wrong').toBeTruthy();
      expect(await dump(), `refused request changed the store: ${JSON.stringify({ r, res })}`).toBe(before);
    }
    checkRevisions(res.body);
    if (r.op === 'create' && res.status === 201) {
      const created = res.body[singular] ? [res.body[singular]] : res.body[`${singular}s`];
      for (const c of created) known[r.coll].push(c.id);
    }
  }), { numRuns: 10_000, seed: 20261125 });
  expect(refused).toBeGreaterThan(1000);

  const all = await read();
  const groupIds = new Set(all.groups.map((g) => g.id));
  expect(all.rules.filter((r) => !groupIds.has(r.security_group_id) || (r.remote_group_id !== null && !groupIds.has(r.remote_group_id))), 'orphan rules').toEqual([]);
  expect(all.ports.filter((p) => p.allowed_address_pairs.length > 10), 'more than 10 pairs').toEqual([]);
  expect([...all.defaults].filter(([, g]) => g === undefined || !groupIds.has(g)), 'a project without its default group').toEqual([]);
  expect(all.ports.filter((p) => !p.port_security_enabled && (p.allowed_address_pairs.length || p.security_groups.length)),
    'pairs or groups on a port without port security').toEqual([]);
  const subnetNetwork = new Map(all.subnets.map((s) => [s.id, s.network_id]));
  expect(all.ports.filter((p) => p.fixed_ips.some((ip) => subnetNetwork.get(ip.subnet_id) !== p.network_id)), 'fixed IPs off the port\'s network').toEqual([]);
  const stdIds = [...all.networks, ...all.subnets, ...all.ports, ...all.groups, ...all.rules].map((x) => x.standard_attr_id);
  expect(new Set(stdIds).size, 'standard attributes shared').toBe(stdIds.length);
  // the database's own: no standard attributes outlive their resource, no row names a missing one
  expect(await store.problems(), 'what the database should have removed or refused').toEqual([]);
  expect(known.ports.length, 'the run created ports').toBeGreaterThan(20);
}, 600_000);
