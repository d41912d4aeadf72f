/**
 * `--as-project` names a project as users do: by id, or by the name of a Keystone
 * account's project; a name of two projects or of none is one line and status 2,
 * never "no findings".
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { idFor } from '../src/api/identity.js';
import { api, as, portsec, type RunningServer, startServer } from './support/server.js';

describe.sequential('--as-project', () => {
  let server: RunningServer;
  const web = idFor('project', 'web');

  beforeAll(async () => {
    server = await startServer(['--auth', 'trusted-headers']);
    // a project as portsec's Keystone makes one (id from the name web), and two made by id: ops, and the project named ops
    for (const project of [web, 'ops', idFor('project', 'ops')]) {
      const res = await api(server.url, 'POST', '/v2.0/security-groups', as(project), { security_group: { name: `open-${project}` } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => { await server?.stop(); });

  const groups = async (...args: string[]) => {
    const r = await portsec('snapshot', '--db', server.db, ...args);
    return { ...r, names: r.code === 0 ? (JSON.parse(r.stdout) as { security_groups: { name: string }[] }).security_groups.map((g) => g.name).sort() : [] };
  };

  test('by id and by a Keystone project\'s name: the same snapshot, that project\'s view', async () => {
    const byId = await groups('--as-project', web);
    expect(byId.names).toEqual(['default', `open-${web}`]);
    expect((await groups('--as-project', 'web')).stdout).toBe(byId.stdout);
  });

  test('an unknown project: one line, status 2, naming the projects there are; no "no findings"', async () => {
    for (const command of ['snapshot', 'audit']) {
      const r = await portsec(command, '--db', server.db, '--as-project', 'nobody');
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`portsec: --as-project nobody: no project of that id or name owns anything in ${server.db} (projects: ${[web, 'ops', idFor('project', 'ops')].sort().join(', ')})\n`);
    }
  });

  test('a text naming one project by id and another by name: refused, both named', async () => {
    const r = await portsec('audit', '--db', server.db, '--as-project', 'ops');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`portsec: --as-project ops: names two projects in ${server.db}: ops (by id) and ${idFor('project', 'ops')} (by name); give the id\n`);
    expect((await groups('--as-project', idFor('project', 'ops'))).names).toEqual(['default', `open-${idFor('project', 'ops')}`]);
  });
});
