/**
 * The seed's NAT server and its pitfall with real packets: NAT needs pair
 * 0.0.0.0/0 on the inner port; with the NAT server in group ssh, the proxy's
 * "tcp/80 from remote group ssh" admits a host outside ssh and, through the
 * NAT server's port-forward, 200.200.200.200; a separate group closes both.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect } from '../src/lab/probes.js';
import { isRoot } from './support/netns.js';
import { api, as, CLI, ROOT, type RunningServer, startServer } from './support/server.js';

const LAB = join(ROOT, 'labs/seed.yaml');
const admin = as('admin', 'admin');
let server: RunningServer;
const lab = (verb: string) => execFileSync(process.execPath, [CLI, 'lab', verb, LAB, '--url', server.url], { encoding: 'utf8' });

async function until(check: () => string, want: string, ms = 6000): Promise<string> {
  const end = Date.now() + ms;
  let got = check();
  while (got !== want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    got = check();
  }
  return got;
}

const port = async (name: string) => (await api(server.url, 'GET', `/v2.0/ports?name=${name}`, admin)).body.ports[0];
const group = async (name: string) => (await api(server.url, 'GET', `/v2.0/security-groups?name=${name}`, admin)).body.security_groups[0].id;
const update = async (name: string, body: Record<string, unknown>) => api(server.url, 'PUT', `/v2.0/ports/${(await port(name)).id}`, admin, { port: body });

const internet = () => connect('ps-vm-int', '200.200.200.200', 80, undefined, 800);
const viaForward = () => connect('ps-ext-inet', '100.100.100.100', 8080, undefined, 800);
const fromOther = () => connect('ps-vm-other', '10.10.10.30', 80, undefined, 800);
const fromMember = () => connect('ps-vm-int', '10.10.10.30', 80, undefined, 800);

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

test.skipIf(!isRoot())('NAT works only with pair 0.0.0.0/0 on the inner port', async () => {
  expect(await until(internet, 'inet peer=100.100.100.100')).toBe('inet peer=100.100.100.100');
  await update('nat-eth1', { allowed_address_pairs: [] });
  expect(await until(internet, 'timeout')).toBe('timeout');
  await update('nat-eth1', { allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] });
  expect(await until(internet, 'inet peer=100.100.100.100')).toBe('inet peer=100.100.100.100');
});

test.skipIf(!isRoot())('the pitfall opens the proxy to a host outside ssh and to 200.200.200.200; a separate group closes both', async () => {
  expect(await until(fromMember, 'proxy peer=10.10.10.20')).toBe('proxy peer=10.10.10.20');
  expect(await until(fromOther, 'proxy peer=10.10.10.40')).toBe('proxy peer=10.10.10.40');
  expect(await until(viaForward, 'proxy peer=200.200.200.200')).toBe('proxy peer=200.200.200.200');
  // the blog's fix: the NAT server's ports leave ssh for a group of their own with the same rules
  const [nat, natfwd, natpf] = [await group('nat'), await group('natfwd'), await group('natpf')];
  await update('nat-eth0', { security_groups: [nat, natpf] });
  await update('nat-eth1', { security_groups: [nat, natfwd] });
  expect(await until(fromOther, 'timeout')).toBe('timeout');
  expect(await until(viaForward, 'timeout')).toBe('timeout');
  expect(await until(fromMember, 'proxy peer=10.10.10.20')).toBe('proxy peer=10.10.10.20');
  expect(await until(internet, 'inet peer=100.100.100.100')).toBe('inet peer=100.100.100.100');
});
