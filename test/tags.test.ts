/**
 * standard-attr-tag and tag-ports-during-bulk-creation, call by call against the real
 * neutron-server with Neutron's tag plugin: each call's status and answer (ids replaced),
 * and after each write the resource's tags and revision_number.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type NeutronServer, startNeutronServer } from './support/neutron-server.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

let portsec: RunningServer;
let neutron: NeutronServer;
beforeAll(async () => {
  [portsec, neutron] = await Promise.all([startServer(['--auth', 'trusted-headers']), startNeutronServer({ tags: true })]);
}, 180_000);
afterAll(async () => { await Promise.all([portsec?.stop(), neutron?.stop()]); });

type Call = { method: string; path: string; body?: unknown; project?: string };
const OWNER = 'proj-a';
const OTHER = 'proj-b';

/** One server's answers to the scenario: `{id}` names the resource it made first of each kind. */
async function replay(url: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const ids: Record<string, string> = {};
  const call = async (c: Call) => {
    const named = (text: string) => text.replace(/\{([\w-]+)\}/g, (_, k: string) => ids[k]);
    const r = await api(url, c.method, named(c.path), as(c.project ?? OWNER), c.body === undefined ? undefined : JSON.parse(named(JSON.stringify(c.body))));
    // ids as the scenario names them; one it did not make (a project's default group) as <other>
    const text = Object.entries(ids).reduce((t, [k, id]) => t.replaceAll(id, `<${k}>`), JSON.stringify(r.body ?? null))
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<other>');
    out.push([c.method, c.path, r.status, JSON.parse(text)]);
    return r.body as Record<string, Record<string, unknown>> | undefined;
  };
  /**
   * The resource's tags and revision as a show gives them: the revision counted from the
   * first show (which other writes raise is not this test's matter)
   */
  const first: Record<string, number> = {};
  const state = async (kind: string, collection: string) => {
    const r = await api(url, 'GET', `/v2.0/${collection}/${ids[kind]}`, as(OWNER));
    const item = r.body[kind.replace(/-/g, '_')] as { tags: string[]; revision_number: number };
    first[kind] ??= item.revision_number;
    out.push([kind, item.tags, item.revision_number - first[kind]]);
  };
  ids.network = (await call({ method: 'POST', path: '/v2.0/networks', body: { network: { name: 'n' } } }))!.network.id as string;
  ids.subnet = (await call({ method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: '{network}', ip_version: 4, cidr: '10.9.0.0/24' } } }))!.subnet.id as string;
  ids['security-group'] = (await call({ method: 'POST', path: '/v2.0/security-groups', body: { security_group: { name: 'g' } } }))!.security_group.id as string;
  for (const [kind, collection] of [['network', 'networks'], ['subnet', 'subnets'], ['security-group', 'security-groups']]) {
    const at = `/v2.0/${collection}/{${kind}}/tags`;
    await state(kind, collection);
    for (const c of [
      { method: 'PUT', path: `${at}/zeta` }, { method: 'PUT', path: `${at}/alpha` }, { method: 'PUT', path: `${at}/alpha` },
      { method: 'GET', path: at }, { method: 'GET', path: `${at}/alpha` }, { method: 'GET', path: `${at}/nope` },
      { method: 'PUT', path: at, body: { tags: ['b', 'a', 'c'] } }, { method: 'PUT', path: at, body: { tags: ['b', 'a', 'c'] } },
      { method: 'PUT', path: at, body: { tags: ['a', 'a'] } }, { method: 'PUT', path: at, body: { tag: ['a'] } },
      { method: 'PUT', path: at, body: { tags: 'a' } }, { method: 'PUT', path: at, body: { tags: ['x'.repeat(256)] } },
      { method: 'PUT', path: `${at}/${'y'.repeat(256)}` },
      { method: 'DELETE', path: `${at}/zzz` }, { method: 'DELETE', path: `${at}/a` }, { method: 'DELETE', path: at }, { method: 'DELETE', path: at },
      { method: 'PUT', path: `${at}/x`, project: OTHER }, { method: 'GET', path: at, project: OTHER },
      { method: 'PUT', path: at, body: { tags: ['red', 'blue'] } },
    ] as Call[]) {
      await call(c);
      if (c.method !== 'GET') await state(kind, collection);
    }
    for (const q of ['tags=red,blue', 'tags=red&tags=green', 'tags-any=green,red', 'not-tags=red', 'not-tags=red,green', 'not-tags-any=green', 'not-tags-any=blue']) {
      await call({ method: 'GET', path: `/v2.0/${collection}?${q}&fields=id&fields=tags` });
    }
  }
  await call({ method: 'GET', path: '/v2.0/networks/00000000-0000-0000-0000-000000000000/tags' });
  await call({ method: 'POST', path: '/v2.0/networks', body: { network: { name: 'n', tags: ['a'] } } });
  ids.port = (await call({ method: 'POST', path: '/v2.0/ports', body: { port: { network_id: '{network}', tags: ['t2', 't1'] } } }))!.port.id as string;
  await state('port', 'ports');
  await call({ method: 'POST', path: '/v2.0/ports', body: { port: { network_id: '{network}', tags: ['t1', 't1'] } } });
  await call({ method: 'POST', path: '/v2.0/ports', body: { port: { network_id: '{network}', tags: 't1' } } });
  await call({ method: 'PUT', path: '/v2.0/ports/{port}', body: { port: { tags: ['a'] } } });
  const bulk = await call({ method: 'POST', path: '/v2.0/ports', body: { ports: [{ network_id: '{network}', tags: ['b'] }, { network_id: '{network}' }] } });
  out.push((bulk!.ports as unknown as { tags: string[]; revision_number: number }[]).map((p) => [p.tags, p.revision_number]));
  return out;
}

/** what the comparison ignores: generated values and attributes portsec does not serve (its own test covers views) */
function essential(v: unknown): unknown {
  if (!Array.isArray(v) || typeof v[2] !== 'number') return v;
  const [method, path, status, body] = v as [string, string, number, Record<string, unknown> | null];
  const err = (body as { NeutronError?: unknown } | null)?.NeutronError;
  if (err || method === 'POST') return [method, path, status, err ?? null];
  // an unsorted list's order is not Neutron's contract
  const lists = body && Object.fromEntries(Object.entries(body).map(([k, x]) => [k, Array.isArray(x) && typeof x[0] === 'object'
    ? [...x].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : x]));
  return [method, path, status, lists];
}

test('tags: every call answers as the real neutron-server, tags and revisions alike', async () => {
  // the scenario's ids are the servers' own: run the two one after the other, then compare
  const real = (await replay(neutron.url)).map(essential);
  const ours = (await replay(portsec.url)).map(essential);
  const differing = real.map((r, i) => [r, ours[i]]).filter(([r, o]) => JSON.stringify(r) !== JSON.stringify(o));
  process.stdout.write(`tags: ${real.length - differing.length} of ${real.length} steps equal\n${differing.map(([r, o]) => `neutron ${JSON.stringify(r)}\nportsec ${JSON.stringify(o)}`).join('\n')}\n`);
  expect(ours.length).toBe(real.length);
  expect(differing).toEqual([]);
}, 180_000);
