/**
 * `portsec serve --example seed`, the README's first command: the labs' cloud in a new database, the
 * console URL and the admin's login printed and working, the seed's pitfall among the findings; and
 * never into a database that already holds something.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../src/lab/example.js';
import { loadLab } from '../src/lab/spec.js';
import { exampleLogin, portsec, type RunningServer, startServer } from './support/server.js';

const labs = EXAMPLES.seed.map(loadLab);

describe('serve --example seed', () => {
  let server: RunningServer;
  let consoleUrl: string;
  let password: string;
  let token: string;

  beforeAll(async () => {
    server = await startServer(['--example', 'seed']);
    ({ consoleUrl, password } = await exampleLogin(server));
  });
  afterAll(() => server?.stop());

  it('prints the console URL on this server and what it created', () => {
    expect(consoleUrl).toBe(`${server.url}/ui`);
    const ports = labs.flatMap((l) => l.instances.flatMap((i) => i.ports)).length;
    expect(server.stdout()).toContain(`example seed: ${labs.reduce((n, l) => n + l.networks.length, 0)} networks, `
      + `${labs.reduce((n, l) => n + l.groups.length, 0)} groups, ${ports} ports (labs/seed.yaml, labs/vip.yaml)`);
  });

  it('serves the console at the printed URL', async () => {
    const res = await fetch(consoleUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('lets the printed login in through Keystone, and refuses another password', async () => {
    const login = (pw: string) => fetch(`${server.url}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: pw, domain: { name: 'Default' } } } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } }),
    });
    expect((await login(`${password}x`)).status).toBe(401);
    const res = await login(password);
    expect(res.status).toBe(201);
    token = res.headers.get('x-subject-token')!;
    expect(token).toBeTruthy();
  });

  it('holds the labs\' ports, the NAT server\'s 0.0.0.0/0 pair included', async () => {
    const res = await fetch(`${server.url}/v2.0/ports`, { headers: { 'X-Auth-Token': token } });
    const ports = (await res.json()).ports as { name: string; allowed_address_pairs: { ip_address: string }[] }[];
    const pairs = Object.fromEntries(ports.map((p) => [p.name, p.allowed_address_pairs.map((a) => a.ip_address)]));
    expect(Object.keys(pairs).sort()).toEqual(labs.flatMap((l) => l.instances.flatMap((i) => i.ports.map((_, n) => `${i.name}-eth${n}`))).sort());
    expect(pairs['nat-eth1']).toEqual(['0.0.0.0/0']);
    expect(pairs['vipa-eth0']).toEqual(['10.1.1.2']);
  });

  it('shows the seed\'s pitfall among the findings', async () => {
    const res = await fetch(`${server.url}/analysis/v1/findings`, { headers: { 'X-Auth-Token': token } });
    expect(res.status).toBe(200);
    const { findings } = await res.json() as { findings: { check: string; severity: string; title: string }[] };
    const wide = findings.filter((f) => f.check === 'wide-pair-in-remote-group');
    expect(wide).toHaveLength(1);
    expect(wide[0].severity).toBe('critical');
    expect(wide[0].title).toMatch(/nat-eth1.*0\.0\.0\.0\/0.*group ssh/);
  });
});

describe('serve --example refused', () => {
  it('refuses a database that is not new, in one line with exit 2, and leaves the file alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portsec-example-'));
    try {
      const db = join(dir, 'cloud.db');
      writeFileSync(db, 'not empty');
      const r = await portsec('serve', '--example', 'seed', '--db', db, '--listen', '127.0.0.1:0', '--agents', 'off');
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`portsec: --example creates its cloud in a new database only: ${db} exists and is not empty (give --db NEW.db)\n`);
      expect(r.stdout).toBe('');
      expect(readFileSync(db, 'utf8')).toBe('not empty');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops, and removes the database it began, when the server refuses part of the example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portsec-example-'));
    try {
      const db = join(dir, 'cloud.db');
      // the guard refuses the NAT server's 0.0.0.0/0 pair in group ssh, which proxy's rule names
      const r = await portsec('serve', '--example', 'seed', '--db', db, '--listen', '127.0.0.1:0', '--agents', 'off', '--guard', 'wide-pair-in-remote-group=reject');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/^portsec: --example seed: POST \/v2\.0\/ports: 409 Allowed address pair 0\.0\.0\.0\/0 [^\n]*\n$/);
      expect(r.stdout).not.toMatch(/^console:/m);
      expect(existsSync(db)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
