/**
 * The Keystone admin API tempest's dynamic credentials use: only an admin may call it;
 * a user made there logs in to the project it was given a role on, as a member or an
 * admin as the role says, and its tokens end with it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type RunningServer, startServer } from './support/server.js';

let server: RunningServer;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-keystone-admin-'));
  writeFileSync(join(dir, 'accounts.yaml'), "- username: demo\n  password: demo-pw\n  project_name: demo\n");
  server = await startServer(['--auth', 'keystone', '--accounts', join(dir, 'accounts.yaml'), '--admin-password', 'admin-pw'], dir);
});
afterAll(async () => { await server?.stop(); });

async function login(name: string, password: string, project: string): Promise<string | undefined> {
  const res = await fetch(`${server.url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name, password, domain: { name: 'Default' } } } },
      scope: { project: { name: project, domain: { name: 'Default' } } } } }),
  });
  return res.status === 201 ? res.headers.get('x-subject-token')! : undefined;
}

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/identity/v3${path}`, {
    method, headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

test('keystone admin API: admins make projects and users; a made user logs in with its role, until it is deleted', async () => {
  const demo = (await login('demo', 'demo-pw', 'demo'))!;
  const admin = (await login('admin', 'admin-pw', 'admin'))!;
  expect((await call(demo, 'POST', '/users', { user: { name: 'x', password: 'y' } })).status).toBe(403);
  expect((await call(demo, 'GET', '/roles')).status).toBe(403);

  expect((await call(admin, 'GET', '/domains?name=Default')).body.domains.map((d: { id: string }) => d.id)).toEqual(['default']);
  const roles = (await call(admin, 'GET', '/roles')).body.roles as { id: string; name: string }[];
  const project = (await call(admin, 'POST', '/projects', { project: { name: 'made', description: 'd', domain_id: 'default' } })).body.project;
  expect((await call(admin, 'POST', '/projects', { project: { name: 'made', domain_id: 'default' } })).status).toBe(409);
  const user = (await call(admin, 'POST', '/users', { user: { name: 'made-user', password: 'pw', domain_id: 'default' } })).body.user;
  // no role on a project yet: no login there
  expect(await login('made-user', 'pw', 'made')).toBeUndefined();
  const member = roles.find((r) => r.name === 'member')!;
  expect((await call(admin, 'PUT', `/projects/${project.id}/users/${user.id}/roles/${member.id}`)).status).toBe(204);
  const token = (await login('made-user', 'pw', 'made'))!;
  const self = await fetch(`${server.url}/v2.0/networks`, { headers: { 'X-Auth-Token': token } });
  expect(self.status).toBe(200);
  expect((await call(token, 'POST', '/users', { user: { name: 'z', password: 'y' } })).status).toBe(403);

  expect((await call(admin, 'DELETE', `/users/${user.id}`)).status).toBe(204);
  expect((await fetch(`${server.url}/v2.0/networks`, { headers: { 'X-Auth-Token': token } })).status).toBe(401);
  expect((await call(admin, 'DELETE', `/projects/${project.id}`)).status).toBe(204);
  expect((await call(admin, 'DELETE', `/projects/${project.id}`)).status).toBe(404);
});
