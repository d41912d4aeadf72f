/**
 * Address groups (/v2.0/address-groups, the add/remove member actions) and rules with
 * remote_address_group_id: one script of calls from several projects goes to a real
 * neutron-server and to portsec, each from a fresh database; every answer (status, error
 * type and message, body, revision numbers) must be the same once ids and times are
 * replaced by names. Neutron stores a request's addresses in the order of a Python set
 * (PYTHONHASHSEED): address lists are compared as sets, so the script's error messages
 * name one address each.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type NeutronServer, startNeutronServer } from './support/neutron-server.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

let portsec: RunningServer;
let neutron: NeutronServer;
beforeAll(async () => {
  [portsec, neutron] = await Promise.all([startServer(['--auth', 'trusted-headers']), startNeutronServer()]);
}, 180_000);
afterAll(async () => {
  await Promise.all([portsec?.stop(), neutron?.stop()]);
});

const WHO = {
  a: as('proj-a'), b: as('proj-b'), admin: as('proj-admin', 'admin'),
  aIfMatch: { ...as('proj-a'), 'If-Match': 'revision_number=1' },
};

/** One call: `{name}` in the path or body is the id the call that saved `name` got from the same server. */
interface Step {
  who: keyof typeof WHO;
  method: string;
  path: string;
  body?: unknown;
  /** the name under which the created resource's id is kept */
  save?: string;
}

type Json = any;

/** The answer with ids as names, times as T, address lists sorted. */
function normalise(v: Json, names: Map<string, string>): Json {
  if (Array.isArray(v)) return v.map((x) => normalise(x, names));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => {
      if ((k === 'created_at' || k === 'updated_at') && typeof x === 'string') return [k, 'T'];
      if (k === 'addresses' && Array.isArray(x)) return [k, [...x].sort()];
      if (k.endsWith('_links')) return [k, (x as { rel: string; href: string }[]).map((l) => ({ rel: l.rel, href: normalise(new URL(l.href).search, names) }))];
      return [k, normalise(x, names)];
    }));
  }
  if (typeof v === 'string') return v.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => names.get(id) ?? 'ID');
  return v;
}

/** Runs the steps on one server; returns its normalised answers. */
async function play(url: string, steps: Step[]): Promise<Json[]> {
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  const fill = (text: string) => text.replace(/\{(\w+)\}/g, (_, n: string) => ids.get(n) ?? n);
  const out: Json[] = [];
  for (const s of steps) {
    const body = s.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(s.body)));
    const r = await api(url, s.method, fill(s.path), WHO[s.who], body);
    if (s.save && r.status === 201) {
      const id = (Object.values(r.body)[0] as Json).id as string;
      ids.set(s.save, id);
      names.set(id, s.save);
    }
    const answer = normalise(r.body, names);
    // unsorted lists are in id order, and ids are random: compared as sets
    if (s.method === 'GET' && !s.path.includes('sort_key')) {
      for (const [k, v] of Object.entries(answer ?? {})) if (Array.isArray(v)) answer[k] = [...v].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
    }
    out.push({ call: `${s.who} ${s.method} ${s.path}`, status: r.status, body: answer });
  }
  return out;
}

const ag = (body: Json) => ({ address_group: body });
const rule = (body: Json) => ({ security_group_rule: { security_group_id: '{sg}', direction: 'ingress', ...body } });

const SCRIPT: Step[] = [
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 'web', description: 'd', addresses: ['10.0.0.1/24', '10.0.0.9/24', '2001:DB8::1/64', '192.0.2.7/32'] }), save: 'web' },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 'empty' }), save: 'empty' },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 'nulls', addresses: null }), save: 'nulls' },
  { who: 'b', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 'bees', addresses: ['198.51.100.0/24'] }), save: 'bees' },
  { who: 'admin', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 'for-b', project_id: 'proj-b' }), save: 'forb' },
  { who: 'b', method: 'POST', path: '/v2.0/address-groups', body: { address_groups: [{ name: 'bulk1', addresses: ['203.0.113.0/24'] }, { name: 'bulk2' }] } },
  { who: 'b', method: 'POST', path: '/v2.0/address-groups', body: { address_groups: [{ name: 'bulk3' }, { addresses: ['nope'] }] } },
  // validation of the create body (type:subnet_list)
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: ['10.0.0.5'] }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: ['2001:db8::5'] }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: ['foo'] }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: ['10.0.0.1/33'] }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: [5] }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: '10.0.0.0/8' }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ addresses: ['10.0.0.0/8', '10.0.0.0/8'] }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ shared: true }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 5 }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ bogus: 1 }) },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ name: 'long', description: 'x'.repeat(1024) }), save: 'longdesc' },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups', body: ag({ description: 'x'.repeat(1025) }) },
  // reads: isolation, filters, fields, sorting, pagination
  { who: 'a', method: 'GET', path: '/v2.0/address-groups' },
  { who: 'b', method: 'GET', path: '/v2.0/address-groups' },
  { who: 'admin', method: 'GET', path: '/v2.0/address-groups?fields=id&fields=project_id' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups/{web}' },
  { who: 'b', method: 'GET', path: '/v2.0/address-groups/{web}' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups/{web}?fields=addresses&fields=name' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?name=web' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?description=d&fields=name&fields=id' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?addresses=10.0.0.0/24' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?revision_number=0' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?shared=false' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?sort_key=name&sort_dir=desc&fields=name' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?sort_key=name&sort_dir=asc&limit=2&fields=name&fields=id' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?sort_key=addresses&sort_dir=asc' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups/00000000-0000-4000-8000-000000000000' },
  // update
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}', body: ag({ name: 'web2', description: 'd2' }) },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}', body: ag({}) },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}', body: ag({ addresses: ['10.1.0.0/16'] }) },
  { who: 'b', method: 'PUT', path: '/v2.0/address-groups/{web}', body: ag({ name: 'x' }) },
  { who: 'aIfMatch', method: 'PUT', path: '/v2.0/address-groups/{web}', body: ag({ name: 'web2' }) },
  { who: 'aIfMatch', method: 'PUT', path: '/v2.0/address-groups/00000000-0000-4000-8000-000000000000', body: ag({ name: 'web2' }) },
  // the member actions: their answers carry the revision number
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/add_addresses', body: { addresses: [] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/add_addresses', body: { addresses: ['10.2.0.9/16', '10.3.0.1', '10.2.0.1/16'] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/add_addresses', body: { addresses: ['10.0.0.77/24', '10.9.0.0/16'] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/add_addresses', body: { addresses: ['foo'] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/remove_addresses', body: { addresses: ['10.3.0.1/32', '10.4.0.0/16'] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/remove_addresses', body: { addresses: ['10.3.0.1', '10.2.255.255/16'] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/{web}/remove_addresses', body: { addresses: [] } },
  { who: 'b', method: 'PUT', path: '/v2.0/address-groups/{web}/add_addresses', body: { addresses: ['10.5.0.0/16'] } },
  { who: 'b', method: 'PUT', path: '/v2.0/address-groups/{web}/remove_addresses', body: { addresses: ['10.0.0.0/24'] } },
  { who: 'admin', method: 'PUT', path: '/v2.0/address-groups/{web}/add_addresses', body: { addresses: ['10.6.0.0/16'] } },
  { who: 'a', method: 'PUT', path: '/v2.0/address-groups/00000000-0000-4000-8000-000000000000/add_addresses', body: { addresses: ['10.6.0.0/16'] } },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups/{web}/add_addresses' },
  { who: 'a', method: 'POST', path: '/v2.0/address-groups/{web}/remove_addresses', body: { addresses: [] } },
  // rules naming an address group
  { who: 'a', method: 'POST', path: '/v2.0/security-groups', body: { security_group: { name: 'sg' } }, save: 'sg' },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_address_group_id: '{web}' }), save: 'r1' },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_address_group_id: '{web}' }) },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ protocol: 'tcp', port_range_min: 443, port_range_max: 443 }), save: 'r2' },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ ethertype: 'IPv6', remote_address_group_id: '{web}' }), save: 'r3' },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_address_group_id: '{web}', remote_ip_prefix: '10.0.0.0/8' }) },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_address_group_id: '{web}', remote_group_id: '{sg}' }) },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_address_group_id: '{bees}' }) },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_address_group_id: 'nope' }) },
  { who: 'a', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ remote_address_group_id: 'nope', security_group_id: 'nosg' }) },
  { who: 'admin', method: 'POST', path: '/v2.0/security-group-rules', body: rule({ direction: 'egress', remote_address_group_id: '{bees}' }), save: 'r4' },
  { who: 'a', method: 'GET', path: '/v2.0/security-group-rules/{r1}' },
  { who: 'a', method: 'GET', path: '/v2.0/security-group-rules?remote_address_group_id={web}&fields=id&fields=remote_address_group_id' },
  { who: 'a', method: 'GET', path: '/v2.0/security-group-rules?remote_address_group_id={web}&remote_address_group_id={bees}&fields=id' },
  { who: 'a', method: 'GET', path: '/v2.0/security-groups/{sg}?fields=security_group_rules' },
  { who: 'a', method: 'GET', path: '/v2.0/security-groups/{sg}?fields=revision_number' },
  // deleting groups in use, and not
  { who: 'a', method: 'DELETE', path: '/v2.0/address-groups/{web}' },
  { who: 'admin', method: 'DELETE', path: '/v2.0/address-groups/{web}' },
  { who: 'b', method: 'DELETE', path: '/v2.0/address-groups/{bees}' },
  { who: 'a', method: 'DELETE', path: '/v2.0/address-groups/{bees}' },
  { who: 'a', method: 'DELETE', path: '/v2.0/security-group-rules/{r1}' },
  { who: 'a', method: 'DELETE', path: '/v2.0/address-groups/{web}' },
  { who: 'a', method: 'DELETE', path: '/v2.0/security-group-rules/{r3}' },
  { who: 'a', method: 'DELETE', path: '/v2.0/address-groups/{web}' },
  { who: 'a', method: 'DELETE', path: '/v2.0/address-groups/{web}' },
  { who: 'a', method: 'GET', path: '/v2.0/address-groups?fields=name' },
  { who: 'a', method: 'DELETE', path: '/v2.0/security-groups/{sg}' },
  { who: 'b', method: 'DELETE', path: '/v2.0/address-groups/{bees}' },
  { who: 'a', method: 'GET', path: '/v2.0/extensions/address-group' },
  { who: 'a', method: 'GET', path: '/v2.0/extensions/security-groups-remote-address-group' },
];

test('address groups and their rules answer as the real neutron-server, call by call', async () => {
  const [ours, theirs] = await Promise.all([play(portsec.url, SCRIPT), play(neutron.url, SCRIPT)]);
  for (let i = 0; i < SCRIPT.length; i++) expect(ours[i], `call ${i}: ${ours[i].call}`).toEqual(theirs[i]);
  // the script exercises what it claims: successes, each error type
  const statuses = new Set(theirs.map((a) => a.status));
  for (const s of [200, 201, 204, 400, 404, 405, 409]) expect(statuses).toContain(s);
  const types = new Set(theirs.map((a) => a.body?.NeutronError?.type).filter(Boolean));
  for (const t of ['AddressGroupNotFound', 'AddressGroupInUse', 'AddressesNotFound', 'AddressesAlreadyExist', 'AddrFormatError', 'SecurityGroupMultipleRemoteEntites', 'SecurityGroupRuleExists']) {
    expect(types).toContain(t);
  }
}, 120_000);

test('an error naming several addresses lists them all (in the order asked: Neutron lists a set)', async () => {
  const h = as('proj-multi');
  const g = (await api(portsec.url, 'POST', '/v2.0/address-groups', h, ag({ addresses: ['10.0.0.0/24', '10.1.0.0/24'] }))).body.address_group;
  const added = await api(portsec.url, 'PUT', `/v2.0/address-groups/${g.id}/add_addresses`, h, { addresses: ['10.1.0.9/24', '10.0.0.9/24', '10.2.0.0/24'] });
  expect(added.status).toBe(400);
  expect(added.body.NeutronError.message).toBe(`Addresses ['10.1.0.0/24', '10.0.0.0/24'] already exist in the address group ${g.id}.`);
  const removed = await api(portsec.url, 'PUT', `/v2.0/address-groups/${g.id}/remove_addresses`, h, { addresses: ['10.8.0.0/24', '10.0.0.0/24', '10.9.0.0/24'] });
  expect(removed.status).toBe(404);
  expect(removed.body.NeutronError.message).toBe(`Addresses ['10.8.0.0/24', '10.9.0.0/24'] not found in the address group ${g.id}.`);
  // an unsorted list is in id order (the object layer's Pager sorts by the primary key)
  for (let i = 0; i < 3; i++) await api(portsec.url, 'POST', '/v2.0/address-groups', h, ag({ name: `n${i}` }));
  const listed = (await api(portsec.url, 'GET', '/v2.0/address-groups', h)).body.address_groups.map((x: Json) => x.id);
  expect(listed).toHaveLength(4);
  expect(listed).toEqual([...listed].sort());
  // nothing of a refused request was applied
  expect((await api(portsec.url, 'GET', `/v2.0/address-groups/${g.id}`, h)).body.address_group.addresses).toEqual(['10.0.0.0/24', '10.1.0.0/24']);
});
