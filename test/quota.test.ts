/**
 * Quotas (quotasv2, quota_details, quota-check-limit) and their enforcement: the
 * same calls go to a real neutron-server and to portsec, from fresh databases, and
 * every answer must agree: the status, the error's type and message, and each quota
 * body (limits, and details' used counts, which follow from what was created).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { QUOTA_DEFAULTS } from '../src/model/quota.js';
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

const ADMIN = as('quota-admin', 'admin');
const A = as('qa');

type Ids = Record<string, string>;
interface Step {
  name: string;
  who: Record<string, string>;
  method: string;
  path: string;
  body?: unknown;
  /** remembers the created object's id under this name, for later bodies */
  save?: string;
}

const step = (name: string, who: Record<string, string>, method: string, path: string, body?: unknown | ((ids: Ids) => unknown), save?: string): Step =>
  ({ name, who, method, path, body, save });
const setQuota = (project: string, quota: Record<string, unknown>) => step(`admin sets ${project}'s ${JSON.stringify(quota)}`, ADMIN, 'PUT', `/v2.0/quotas/${project}`, { quota });
const network = (who: Record<string, string>, name: string) => step(`${who['X-Project-Id']}: network ${name}`, who, 'POST', '/v2.0/networks', { network: { name } }, name);
const group = (who: Record<string, string>, name: string) => step(`${who['X-Project-Id']}: group ${name}`, who, 'POST', '/v2.0/security-groups', { security_group: { name } }, name);
const subnet = (cidr: string) => step(`qa: subnet ${cidr}`, A, 'POST', '/v2.0/subnets', (ids: Ids) => ({ subnet: { network_id: ids.n1, ip_version: 4, cidr } }));
const port = (name: string) => step(`qa: port ${name}`, A, 'POST', '/v2.0/ports', (ids: Ids) => ({ port: { network_id: ids.n1, name } }));
const details = (project: string) => step(`${project}'s details`, ADMIN, 'GET', `/v2.0/quotas/${project}/details`);

const STEPS: Step[] = [
  // who reads and changes what
  step('own quotas', A, 'GET', '/v2.0/quotas/qa'),
  step('another project\'s quotas', A, 'GET', '/v2.0/quotas/qb'),
  step('own defaults', A, 'GET', '/v2.0/quotas/qa/default'),
  step('another project\'s defaults', A, 'GET', '/v2.0/quotas/qb/default'),
  step('own details', A, 'GET', '/v2.0/quotas/qa/details'),
  step('another project\'s details', A, 'GET', '/v2.0/quotas/qb/details'),
  step('member lists quotas', A, 'GET', '/v2.0/quotas'),
  step('admin lists quotas, none set', ADMIN, 'GET', '/v2.0/quotas'),
  step('the caller\'s project', A, 'GET', '/v2.0/quotas/project'),
  step('the caller\'s tenant', A, 'GET', '/v2.0/quotas/tenant'),
  step('member changes its own', A, 'PUT', '/v2.0/quotas/qa', { quota: { network: 1000 } }),
  step('member changes its own with a bad value', A, 'PUT', '/v2.0/quotas/qa', { quota: { network: 'x' } }),
  step('member resets its own', A, 'DELETE', '/v2.0/quotas/qa'),
  step('POST on the collection', ADMIN, 'POST', '/v2.0/quotas', { quota: { network: 1 } }),
  step('POST on a project', A, 'POST', '/v2.0/quotas/qa', { quota: { network: 1 } }),
  step('reset a project with none set', ADMIN, 'DELETE', '/v2.0/quotas/qz'),
  // the odd routes Neutron's router makes: any method on default, POST on the caller's project, only GET on details
  ...['POST', 'PUT', 'DELETE'].flatMap((m) => [
    step(`${m} on own defaults`, A, m, '/v2.0/quotas/qa/default', {}),
    step(`${m} on another project's defaults`, A, m, '/v2.0/quotas/qb/default', {}),
    step(`${m} on own details`, A, m, '/v2.0/quotas/qa/details', {}),
  ]),
  step('POST on the caller\'s project', A, 'POST', '/v2.0/quotas/project', {}),
  step('PUT on the caller\'s project', A, 'PUT', '/v2.0/quotas/project', {}),
  // validation, as convert_to_int and type:range [-1, 2**31-1] take it
  ...[-2, 'abc', '5', ' 1_0 ', 2.5, true, null, [1], 2147483648, 2147483647, 1e20, '-1'].map((v) => setQuota('qv', { network: v })),
  setQuota('qv', { subnet: 'x', network: -5 }),
  setQuota('qv', { bogus: 1 }),
  setQuota('qv', {}),
  // enforcement: the API counts what a create asks for, the default group and each new group their own rules
  setQuota('qa', { network: 2, subnet: 1, port: 1, security_group: 2, security_group_rule: 6 }),
  step('admin lists quotas', ADMIN, 'GET', '/v2.0/quotas'),
  network(A, 'n1'),
  network(A, 'n2'),
  network(A, 'n3'),
  step('qa: two networks at once', A, 'POST', '/v2.0/networks', { networks: [{ name: 'a' }, { name: 'b' }] }),
  details('qa'),
  group(A, 's1'),
  group(A, 's2'),
  setQuota('qa', { security_group: 5 }),
  group(A, 's2 once groups may'),
  step('qa: a rule beyond the rule quota', A, 'POST', '/v2.0/security-group-rules', (ids: Ids) => ({ security_group_rule: { security_group_id: ids.s1, direction: 'ingress' } })),
  subnet('10.1.0.0/24'),
  subnet('10.2.0.0/24'),
  port('p1'),
  port('p2'),
  details('qa'),
  // check_limit refuses a limit under what is used (Python's truth: "false" is true)
  setQuota('qa', { network: 1, check_limit: true }),
  setQuota('qa', { subnet: 0, network: 1, check_limit: 'false' }),
  setQuota('qa', { security_group_rule: -1, check_limit: true }),
  setQuota('qa', { network: 1, check_limit: 0, force: true }),
  setQuota('qa', { network: -1 }),
  network(A, 'n3 when unlimited'),
  details('qa'),
  // a project whose default group's rules do not fit: the creates and lists that would make it fail
  setQuota('qc', { security_group_rule: 3 }),
  network(as('qc'), 'x'),
  step('qc lists its groups', as('qc'), 'GET', '/v2.0/security-groups'),
  group(as('qc'), 'y'),
  details('qc'),
  // a project with room for one group gets its default group besides
  setQuota('qd', { security_group: 1 }),
  group(as('qd'), 'y'),
  group(as('qd'), 'z'),
  details('qd'),
  // an admin's creates count against the projects they name
  setQuota('qe', { network: 1 }),
  step('admin: networks for qe and qf at once', ADMIN, 'POST', '/v2.0/networks', { networks: [{ name: 'e1', project_id: 'qe' }, { name: 'f1', project_id: 'qf' }] }),
  step('admin: two networks for qe at once', ADMIN, 'POST', '/v2.0/networks', { networks: [{ name: 'e2', project_id: 'qe' }, { name: 'e3', project_id: 'qe' }] }),
  details('qe'),
  details('qf'),
  step('admin lists quotas at the end', ADMIN, 'GET', '/v2.0/quotas'),
  step('admin resets qa', ADMIN, 'DELETE', '/v2.0/quotas/qa'),
  step('admin resets qa again', ADMIN, 'DELETE', '/v2.0/quotas/qa'),
  step('qa back on the defaults', A, 'GET', '/v2.0/quotas/qa'),
];

/** The answer compared: status, error, and the quota bodies (created resources differ in their ids). */
async function play(url: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const ids: Ids = {};
  for (const s of STEPS) {
    const r = await api(url, s.method, s.path, s.who, typeof s.body === 'function' ? s.body(ids) : s.body);
    const body = r.body as Record<string, unknown> | undefined;
    const created = body && Object.values(body)[0] as { id?: string } | undefined;
    if (s.save && r.status === 201 && created?.id) ids[s.save] = created.id;
    const kept = body && ['NeutronError', 'quota', 'quotas', 'project', 'tenant'].find((k) => k in body);
    out.push({ step: s.name, status: r.status, ...(kept ? { [kept]: body[kept] } : {}) });
  }
  return out;
}

test('quotas answer, and are enforced, as Neutron 21\'s', async () => {
  const [mine, real] = await Promise.all([play(portsec.url), play(neutron.url)]);
  expect(mine).toEqual(real);
  // the enforcement itself, so that a change of the real server's answers cannot hide it
  const answer = (name: string) => mine[STEPS.findIndex((s) => s.name === name)] as { status: number; NeutronError?: { type: string; message: string } };
  expect(answer('qa: network n3')).toMatchObject({ status: 409, NeutronError: { type: 'OverQuota', message: 'Quota exceeded for resources: [\'network\'].' } });
  expect(answer('qc lists its groups').status).toBe(409);
  expect(answer('qa: network n3 when unlimited').status).toBe(201);
}, 300_000);

test('--quota sets every project\'s defaults; an admin\'s limit still overrides them', async () => {
  const server = await startServer(['--auth', 'trusted-headers', '--quota', 'network=1', '--quota', 'port=-1']);
  try {
    const P = as('qo');
    expect((await api(server.url, 'GET', '/v2.0/quotas/qo/default', P)).body).toEqual({ quota: { ...QUOTA_DEFAULTS, network: 1, port: -1 } });
    expect((await api(server.url, 'POST', '/v2.0/networks', P, { network: { name: 'a' } })).status).toBe(201);
    expect((await api(server.url, 'POST', '/v2.0/networks', P, { network: { name: 'b' } })).status).toBe(409);
    await api(server.url, 'PUT', '/v2.0/quotas/qo', ADMIN, { quota: { network: 2 } });
    expect((await api(server.url, 'POST', '/v2.0/networks', P, { network: { name: 'b' } })).status).toBe(201);
    // creates at once take the last units once each: the count and the create are one transaction
    await api(server.url, 'PUT', '/v2.0/quotas/qo', ADMIN, { quota: { network: 5 } });
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => api(server.url, 'POST', '/v2.0/networks', P, { network: { name: `r${i}` } })));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 201, 201, ...Array(7).fill(409)]);
    expect((await api(server.url, 'GET', '/v2.0/quotas/qo/details', P)).body.quota.network).toEqual({ limit: 5, used: 5, reserved: 0 });
  } finally {
    await server.stop();
  }
  const bad = await startServer(['--quota', 'widget=1']).then(async (s) => { await s.stop(); return undefined; }, (e: Error) => e.message);
  expect(bad).toMatch(/--quota.*expected RESOURCE=N/);
});
