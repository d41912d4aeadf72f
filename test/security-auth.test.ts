/**
 * Security, holes 3, 4, 7 and 9: tokens end as Keystone's do, authentication is
 * decided on the route a request matched (every spelling of it), bad input is a
 * 4xx in the API's shape, and what one project sees does not leak another's.
 * Real `portsec serve --auth keystone` over real HTTP.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningServer, startServer } from './support/server.js';

const ACCOUNTS = [
  { username: 'alice', password: 'pw-a', project_name: 'proj-a', roles: [] },
  { username: 'bob', password: 'pw-b', project_name: 'proj-b', roles: [] },
  { username: 'carol', password: 'pw-c', project_name: 'proj-c', roles: [] },
  { username: 'dave', password: 'pw-d', project_name: 'ops', roles: ['admin'] },
];

const yaml = (accounts: typeof ACCOUNTS) => accounts.map((a) => `- username: ${a.username}\n  password: ${a.password}\n  project_name: ${a.project_name}\n  roles: [${a.roles.join(', ')}]\n`).join('');

let dir: string;
let accountsFile: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portsec-sec-auth-'));
  accountsFile = join(dir, 'accounts.yaml');
  writeFileSync(accountsFile, yaml(ACCOUNTS));
  server = await startServer(['--auth', 'keystone', '--accounts', accountsFile, '--admin-password', 'admin', '--max-body-bytes', '200000']);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { 'Content-Type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
  return { status: res.status, headers: res.headers, body: parsed as any };
}

async function login(username: string, password: string, project?: string) {
  const res = await call('POST', '/v3/auth/tokens', {}, {
    auth: { identity: { methods: ['password'], password: { user: { name: username, domain: { name: 'Default' }, password } } },
      ...(project ? { scope: { project: { name: project, domain: { name: 'Default' } } } } : {}) },
  });
  expect(res.status).toBe(201);
  return { token: res.headers.get('x-subject-token')!, body: res.body };
}

describe.sequential('hole 3: tokens end as Keystone\'s do', () => {
  test('a token dies when its account leaves the accounts file, and comes back only with a new login', async () => {
    const { token } = await login('carol', 'pw-c');
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': token })).status).toBe(200);
    writeFileSync(accountsFile, yaml(ACCOUNTS.filter((a) => a.username !== 'carol')));
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': token })).status).toBe(401);
    expect((await call('POST', '/v3/auth/tokens', {}, { auth: { identity: { methods: ['password'], password: { user: { name: 'carol', password: 'pw-c' } } } } })).status).toBe(401);
    writeFileSync(accountsFile, yaml(ACCOUNTS));
    // the old token stays dead: Keystone revoked it with the user
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': token })).status).toBe(401);
  });

  test('a token dies with the admin role it was issued with', async () => {
    const { token } = await login('dave', 'pw-d');
    expect((await call('GET', '/v2.0/networks?project_id=proj-a', { 'X-Auth-Token': token })).status).toBe(200);
    writeFileSync(accountsFile, yaml(ACCOUNTS.map((a) => (a.username === 'dave' ? { ...a, roles: [] } : a))));
    try {
      expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': token })).status).toBe(401);
      const fresh = await login('dave', 'pw-d');
      expect(fresh.body.token.roles.map((r: { name: string }) => r.name)).not.toContain('admin');
    } finally {
      writeFileSync(accountsFile, yaml(ACCOUNTS));
    }
  });

  test('a token obtained with the token method keeps its source\'s expires_at', async () => {
    const first = await login('alice', 'pw-a');
    await new Promise((r) => setTimeout(r, 1100));
    const again = await call('POST', '/v3/auth/tokens', {}, { auth: { identity: { methods: ['token'], token: { id: first.token } }, scope: { project: { name: 'proj-a', domain: { name: 'Default' } } } } });
    expect(again.status).toBe(201);
    expect(again.body.token.expires_at).toBe(first.body.token.expires_at);
    expect(again.body.token.methods).toEqual(['token']);
  });

  test('GET and HEAD /v3/auth/tokens validate one\'s own token; another user\'s only for an admin', async () => {
    const a = await login('alice', 'pw-a');
    const b = await login('bob', 'pw-b');
    const admin = await login('admin', 'admin');
    const check = (method: string, caller: string, subject: string) => call(method, '/v3/auth/tokens', { 'X-Auth-Token': caller, 'X-Subject-Token': subject });
    expect((await check('GET', a.token, a.token)).status).toBe(200);
    expect((await check('HEAD', a.token, a.token)).status).toBe(200);
    expect((await check('GET', a.token, b.token)).status).toBe(403);
    expect((await check('HEAD', a.token, b.token)).status).toBe(403);
    expect((await check('GET', admin.token, b.token)).status).toBe(200);
    expect((await check('GET', 'nonsense', b.token)).status).toBe(401);
    expect((await check('GET', a.token, 'nonsense')).status).toBe(404);
  });

  test('DELETE /v3/auth/tokens revokes the subject token', async () => {
    const a = await login('alice', 'pw-a');
    const other = await login('alice', 'pw-a');
    const b = await login('bob', 'pw-b');
    expect((await call('DELETE', '/v3/auth/tokens', { 'X-Auth-Token': a.token, 'X-Subject-Token': b.token })).status).toBe(403);
    expect((await call('DELETE', '/v3/auth/tokens', { 'X-Auth-Token': a.token, 'X-Subject-Token': other.token })).status).toBe(204);
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': other.token })).status).toBe(401);
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': a.token })).status).toBe(200);
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': b.token })).status).toBe(200);
  });
});

/** One request as raw HTTP: the request line exactly as given (absolute-form, odd encodings). */
function raw(method: string, target: string, body?: string, headers: Record<string, string> = {}, base = server.url): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(base);
  const sized = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
  return new Promise((ok, fail) => {
    const req = request({ host: hostname, port, method, path: target, headers: { ...sized, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => ok({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

describe.sequential('hole 4: authentication follows the route, in every spelling', () => {
  let portId: string;
  const spellings = (path: string, host: string): string[] => {
    const [first, ...rest] = path.slice(1).split('/');
    const code = first.charCodeAt(0).toString(16);
    return [
      path,
      `/%${code}${first.slice(1)}/${rest.join('/')}`.replace(/\/$/, ''),
      `/%${code.toUpperCase()}${first.slice(1)}/${rest.join('/')}`.replace(/\/$/, ''),
      `${path.replace(/\/([^/]+)$/, (_m, last: string) => `/${last.slice(0, -1)}%${last.charCodeAt(last.length - 1).toString(16)}`)}`,
      `http://${host}${path}`,
      `${path}?fields=id`,
    ];
  };

  beforeAll(async () => {
    const admin = await login('admin', 'admin');
    const net = await call('POST', '/v2.0/networks', { 'X-Auth-Token': admin.token }, { network: { name: 'n' } });
    const port = await call('POST', '/v2.0/ports', { 'X-Auth-Token': admin.token }, { port: { network_id: net.body.network.id } });
    portId = port.body.port.id;
  });

  test('every route of the API without a token: 401 in every spelling, never 404 or 500, whether the id exists or not', async () => {
    const host = new URL(server.url).host;
    const routes: [string, string][] = [
      ['GET', '/v2.0'], ['GET', '/v2.0/extensions'], ['GET', '/v2.0/extensions/security-group'], ['GET', '/v2.0/quotas/x'],
      ...['networks', 'subnets', 'ports', 'security-groups', 'security-group-rules'].flatMap((c): [string, string][] => [
        ['GET', `/v2.0/${c}`], ['POST', `/v2.0/${c}`], ['PUT', `/v2.0/${c}`], ['DELETE', `/v2.0/${c}`],
        ['GET', `/v2.0/${c}/${portId}`], ['GET', `/v2.0/${c}/00000000-0000-4000-8000-000000000000`],
        ['PUT', `/v2.0/${c}/${portId}`], ['DELETE', `/v2.0/${c}/${portId}`], ['HEAD', `/v2.0/${c}/${portId}`],
      ]),
      ['GET', '/analysis/v1/cloud'], ['GET', '/analysis/v1/findings'], ['POST', '/analysis/v1/can-reach'], ['GET', '/analysis/v1/exposure'],
      ['GET', '/analysis/v1/events'], ['GET', '/analysis/v1/diff?to_backend=ovn'],
    ];
    const wrong: string[] = [];
    for (const [method, path] of routes) {
      for (const target of spellings(path, host)) {
        const body = method === 'POST' || method === 'PUT' ? '{"network": {"name": "x"}}' : undefined;
        const r = await raw(method, target, body);
        if (r.status !== 401) wrong.push(`${method} ${target}: ${r.status} ${r.body.slice(0, 80)}`);
      }
    }
    expect(wrong).toEqual([]);
    // the port is still there: nothing above reached it
    const admin = await login('admin', 'admin');
    expect((await call('GET', `/v2.0/ports/${portId}`, { 'X-Auth-Token': admin.token })).status).toBe(200);
  });

  test('an event stream asked for in another spelling without a token does not stream', async () => {
    const r = await raw('GET', '/%61nalysis/v1/events');
    expect(r.status).toBe(401);
    expect(r.body).not.toContain('event:');
  });

  test('a malformed URL is a 400 in Neutron\'s shape; an unknown path a 404', async () => {
    const bad = await raw('GET', '/v2.0/ports/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).NeutronError.type).toBe('HTTPBadRequest');
    expect((await raw('GET', '/nothing-here')).status).toBe(404);
  });
});

describe.sequential('hole 7: bad input is a 4xx in the API\'s shape', () => {
  test('Keystone: methods that are not a list, an identity that is not an object', async () => {
    for (const auth of [{ identity: { methods: 1 } }, { identity: 'x' }, { identity: { methods: [1] } }, { identity: { methods: ['password'], password: 'x' } }, 'x']) {
      const r = await call('POST', '/v3/auth/tokens', {}, { auth });
      expect(r.status, JSON.stringify(auth)).toBe(400);
      expect(r.body.error.code).toBe(400);
    }
  });

  test('JSON nested 10,000 deep: 400', async () => {
    const admin = await login('admin', 'admin');
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    for (const path of ['/v2.0/networks', '/v3/auth/tokens', '/analysis/v1/can-reach']) {
      const r = await call('POST', path, { 'X-Auth-Token': admin.token }, `{"network": ${deep}}`);
      expect(r.status, path).toBe(400);
      expect(r.body.NeutronError.type).toBe('HTTPBadRequest');
    }
  });

  test('a body over the limit: 413 in Neutron\'s shape, and nothing written', async () => {
    const admin = await login('admin', 'admin');
    const before = (await call('GET', '/v2.0/networks', { 'X-Auth-Token': admin.token })).body.networks.length;
    const r = await call('POST', '/v2.0/networks', { 'X-Auth-Token': admin.token }, { network: { name: 'big', description: 'x'.repeat(300_000) } });
    expect(r.status).toBe(413);
    expect(r.body.NeutronError.type).toBe('HTTPRequestEntityTooLarge');
    expect((await call('GET', '/v2.0/networks', { 'X-Auth-Token': admin.token })).body.networks.length).toBe(before);
  });
});

describe.sequential('hole 9: smaller leaks', () => {
  /** Reads an event stream until `until` says stop, or the stream ends. */
  async function stream(token: string, until: (text: string) => boolean, ms = 4000): Promise<{ text: string; ended: boolean }> {
    const ctrl = new AbortController();
    const res = await fetch(`${server.url}/analysis/v1/events?token=${token}`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + ms;
    try {
      while (Date.now() < deadline && !until(text)) {
        const next = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
        if (!next) break;
        if (next.done) return { text, ended: true };
        text += new TextDecoder().decode(next.value);
      }
    } finally {
      ctrl.abort();
    }
    return { text, ended: false };
  }

  test('another project\'s writes move neither its change number nor its event stream', async () => {
    const a = await login('alice', 'pw-a');
    const b = await login('bob', 'pw-b');
    const seqB = (await call('GET', '/analysis/v1/cloud', { 'X-Auth-Token': b.token })).body.seq;
    const watching = stream(b.token, (t) => t.includes('event: change'), 2500);
    for (let i = 0; i < 3; i++) expect((await call('POST', '/v2.0/networks', { 'X-Auth-Token': a.token }, { network: { name: `a${i}` } })).status).toBe(201);
    expect((await watching).text).not.toContain('event: change');
    expect((await call('GET', '/analysis/v1/cloud', { 'X-Auth-Token': b.token })).body.seq).toBe(seqB);
    // its own write moves it
    expect((await call('POST', '/v2.0/networks', { 'X-Auth-Token': b.token }, { network: { name: 'b' } })).status).toBe(201);
    expect((await call('GET', '/analysis/v1/cloud', { 'X-Auth-Token': b.token })).body.seq).toBeGreaterThan(seqB);
  });

  test('the event stream ends when its token is revoked', async () => {
    const a = await login('alice', 'pw-a');
    const watching = stream(a.token, () => false, 5000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await call('DELETE', '/v3/auth/tokens', { 'X-Auth-Token': a.token, 'X-Subject-Token': a.token })).status).toBe(204);
    const { text, ended } = await watching;
    expect(text).toContain('event: hello');
    expect(ended).toBe(true);
  });

  test('the event stream ends when its token expires', async () => {
    const short = await startServer(['--auth', 'keystone', '--admin-password', 'admin', '--token-ttl', '2']);
    try {
      const r = await fetch(`${short.url}/v3/auth/tokens`, { method: 'POST', body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'admin' } } } } }) });
      const token = r.headers.get('x-subject-token')!;
      const res = await fetch(`${short.url}/analysis/v1/events?token=${token}`);
      const t0 = Date.now();
      const reader = res.body!.getReader();
      while (!(await reader.read()).done) if (Date.now() - t0 > 8000) throw new Error('still streaming 8 s after a 2 s token');
      expect(Date.now() - t0).toBeLessThan(8000);
    } finally {
      await short.stop();
    }
  });

  test('--log never writes a token from the URL', async () => {
    const logged = await startServer(['--auth', 'keystone', '--admin-password', 'admin', '--log']);
    let out = '';
    logged.child.stdout!.on('data', (d) => { out += d; });
    try {
      const r = await fetch(`${logged.url}/v3/auth/tokens`, { method: 'POST', body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'admin' } } } } }) });
      const token = r.headers.get('x-subject-token')!;
      await fetch(`${logged.url}/analysis/v1/findings?token=${token}&x=1`);
      await new Promise((ok) => setTimeout(ok, 300));
      expect(out).toContain('/analysis/v1/findings?token=***&x=1');
      expect(out).not.toContain(token);
    } finally {
      await logged.stop();
    }
  });

  test('--public-url, not the Host header, in pagination links and the catalog', async () => {
    const pub = await startServer(['--auth', 'keystone', '--admin-password', 'admin', '--public-url', 'https://network.example.org:13696/']);
    try {
      const body = JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'admin' } } } } });
      const evil = { Host: 'evil.example' };
      const res = await raw('POST', '/v3/auth/tokens', body, evil, pub.url);
      const catalog = JSON.parse(res.body).token.catalog as { endpoints: { url: string }[] }[];
      expect(catalog.flatMap((c) => c.endpoints.map((e) => e.url)).every((u) => u.startsWith('https://network.example.org:13696/'))).toBe(true);
      const token = res.headers['x-subject-token'] as string;
      expect((await raw('POST', '/v2.0/networks', JSON.stringify({ network: { name: 'p' } }), { 'X-Auth-Token': token }, pub.url)).status).toBe(201);
      const page = JSON.parse((await raw('GET', '/v2.0/networks?limit=1', undefined, { 'X-Auth-Token': token, ...evil }, pub.url)).body);
      expect(page.networks_links[0].href).toMatch(/^https:\/\/network\.example\.org:13696\/v2\.0\/networks\?/);
      // without --public-url the Host is echoed, as Neutron and Keystone do
      const own = JSON.parse((await raw('POST', '/v3/auth/tokens', body, evil)).body).token.catalog[0].endpoints[0].url;
      expect(own).toBe('http://evil.example/');
    } finally {
      await pub.stop();
    }
  });
});
