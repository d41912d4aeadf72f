/**
 * `portsec lab` on `portsec serve` with its agents: the pitfall topology built
 * through the API and plugged into a compute node, then probed with real TCP;
 * and the same with the agents' safe expansion, which closes the pitfall.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { namespaceExists } from '../src/dataplane/netns.js';
import { connect } from '../src/lab/probes.js';
import { isRoot } from './support/netns.js';
import { api, as, CLI, ROOT, type RunningServer, startServer } from './support/server.js';

const LAB = join(ROOT, 'labs/pitfall.yaml');
const admin = as('admin', 'admin');

/** The same lab on a server whose agents expand remote groups as Neutron does, and on one with safe expansion. */
describe.each([
  { mode: 'as Neutron', flags: [], outsider: 'proxy peer=10.10.10.40' },
  { mode: 'with --omit-wide-pairs 0', flags: ['--omit-wide-pairs', '0'], outsider: 'timeout' },
])('the pitfall lab, remote groups expanded $mode', ({ flags, outsider }) => {
  let server: RunningServer;
  const lab = (verb: string) => execFileSync(process.execPath, [CLI, 'lab', verb, LAB, '--url', server.url], { encoding: 'utf8' });

  beforeAll(async () => {
    if (!isRoot()) return;
    server = await startServer(['--auth', 'trusted-headers', '--agents', 'on', ...flags]);
    lab('up');
  }, 120_000);

  afterAll(async () => {
    if (!isRoot() || !server) return;
    lab('down');
    await server.stop();
    expect(readFileSync(LAB, 'utf8')).toContain('cn1');
    expect(namespaceExists('ps-cn-cn1')).toBe(false);
  }, 120_000);

  test('the NAT server\'s 0.0.0.0/0 pair decides whether hosts outside ssh reach the proxy; ssh members always do', async () => {
    expect(connect('ps-vm-int', '10.10.10.30', 80)).toBe('proxy peer=10.10.10.20');
    expect(connect('ps-vm-other', '10.10.10.30', 80)).toBe(outsider);
    const nat = (await api(server.url, 'GET', '/v2.0/ports?name=nat-eth0', admin)).body.ports[0];
    await api(server.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { allowed_address_pairs: [] } });
    const end = Date.now() + 5000;
    while (connect('ps-vm-other', '10.10.10.30', 80, undefined, 500) !== 'timeout' && Date.now() < end);
    expect(connect('ps-vm-other', '10.10.10.30', 80)).toBe('timeout');
    expect(connect('ps-vm-int', '10.10.10.30', 80)).toBe('proxy peer=10.10.10.20');
  });
});
