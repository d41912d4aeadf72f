/**
 * The seed's VIP redundancy with real keepalived: two instances share VIP
 * 10.1.1.2 (a pair on both ports, VRRP admitted by a remote-group rule); the
 * client keeps reaching the VIP after the master's keepalived stops.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { instanceDir } from '../src/lab/lab.js';
import { connect } from '../src/lab/probes.js';
import { parseLab } from '../src/lab/spec.js';
import { isRoot } from './support/netns.js';
import { CLI, ROOT, type RunningServer, startServer } from './support/server.js';

const LAB = join(ROOT, 'labs/vip.yaml');
let server: RunningServer;
const lab = (verb: string) => execFileSync(process.execPath, [CLI, 'lab', verb, LAB, '--url', server.url], { encoding: 'utf8' });

async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

beforeAll(async () => {
  if (!isRoot()) return;
  server = await startServer(['--auth', 'trusted-headers', '--agents', 'on']);
  lab('up');
}, 120_000);

afterAll(async () => {
  if (!isRoot() || !server) return;
  lab('down');
  await server.stop();
}, 120_000);

test.skipIf(!isRoot())('the client reaches the VIP on the master, and on the backup after the master stops', async () => {
  const viaVip = () => connect('ps-vm-client', '10.1.1.2', 8080, undefined, 500);
  await waitFor(() => viaVip() === 'vipa peer=10.1.1.13', 15_000);
  const pid = readFileSync(join(instanceDir(parseLab(readFileSync(LAB, 'utf8'), LAB), 'vipa'), 'keepalived.pid'), 'utf8').trim();
  process.kill(Number(pid), 'SIGTERM');
  const failover = await waitFor(() => viaVip() === 'vipb peer=10.1.1.13', 15_000);
  process.stdout.write(`VIP failover: ${failover} ms\n`);
  expect(failover).toBeLessThan(15_000);
});
