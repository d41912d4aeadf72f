/**
 * Security, hole 8: revoked access does not live on in conntrack. The seed lab
 * (labs/seed.yaml, with the proxy also admitting udp/80 from group ssh and an echo
 * server on both) on `portsec serve --agents on`: long-lived TCP and UDP flows to
 * the proxy, opened through the NAT server's 0.0.0.0/0 pair or by a real member of
 * ssh. Moving the NAT server out of ssh stops exactly the flows it opened; deleting
 * the rule stops the rest; deleting the port leaves no connection of its address.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../src/dataplane/exec.js';
import { namespaceExists } from '../src/dataplane/netns.js';
import { connect, type RunningProbe, startEcho, startTalk } from '../src/lab/probes.js';
import { api, as, CLI, ROOT, type RunningServer, startServer } from './support/server.js';

const admin = as('admin', 'admin');
const INTERVAL = 100;

/** labs/seed.yaml, with udp/80 from ssh on the proxy and the proxy's port 80 left to the test's echo server */
function labFile(dir: string): string {
  const lab = parse(readFileSync(join(ROOT, 'labs/seed.yaml'), 'utf8'));
  lab.name = 'seed-ct';
  lab.groups.find((g: { name: string }) => g.name === 'proxy').rules.push({ protocol: 'udp', port: 80, remote_group: 'ssh' });
  lab.instances.find((i: { name: string }) => i.name === 'proxy').services = [];
  const file = join(dir, 'seed-ct.yaml');
  writeFileSync(file, stringify(lab));
  return file;
}

/** Whether a flow's echoes keep coming: some arrived in the last `ms`. */
const flowing = (answers: number[], ms = 1000) => answers.some((t) => t > Date.now() - ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.sequential('conntrack follows what a change revokes', () => {
  let server: RunningServer;
  let dir: string;
  let lab: string;
  const probes: RunningProbe[] = [];
  let memberUdpFlow: { answers: number[] };
  const labCmd = (verb: string) => execFileSync(process.execPath, [CLI, 'lab', verb, lab, '--url', server.url], { encoding: 'utf8' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portsec-ct-'));
    lab = labFile(dir);
    server = await startServer(['--auth', 'trusted-headers', '--agents', 'on']);
    labCmd('up');
    probes.push(await startEcho('ps-vm-proxy', 80));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(probes.map((p) => p.stop()));
    if (server) {
      labCmd('down');
      await server.stop();
    }
    rmSync(dir, { recursive: true, force: true });
    expect(namespaceExists('ps-cn-cn1')).toBe(false);
  }, 120_000);

  const port = async (name: string) => (await api(server.url, 'GET', `/v2.0/ports?name=${name}`, admin)).body.ports[0];
  const group = async (name: string) => (await api(server.url, 'GET', `/v2.0/security-groups?name=${name}`, admin)).body.security_groups[0];

  test('moving the NAT server out of ssh cuts the outsider\'s TCP and UDP flows at once; ssh\'s own member keeps both', async () => {
    const outsiderTcp = await startTalk('ps-vm-other', 'tcp', '10.10.10.30', 80, INTERVAL);
    const outsiderUdp = await startTalk('ps-vm-other', 'udp', '10.10.10.30', 80, INTERVAL);
    const memberTcp = await startTalk('ps-vm-int', 'tcp', '10.10.10.30', 80, INTERVAL);
    const memberUdp = await startTalk('ps-vm-int', 'udp', '10.10.10.30', 80, INTERVAL);
    probes.push(outsiderTcp, outsiderUdp, memberTcp, memberUdp);
    memberUdpFlow = memberUdp;
    await sleep(1500);
    // through the pitfall: the NAT server's 0.0.0.0/0 pair is a member of ssh
    for (const f of [outsiderTcp, outsiderUdp, memberTcp, memberUdp]) expect(flowing(f.answers)).toBe(true);

    const nat = await port('nat-eth1');
    const [natGroup, natfwd] = [await group('nat'), await group('natfwd')];
    const moved = await api(server.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { security_groups: [natGroup.id, natfwd.id] } });
    expect(moved.status).toBe(200);
    const changedAt = Date.now();
    // the agent applies the change within its tick; then the revoked flows must stop for good
    await sleep(2000);
    const after = (f: { answers: number[] }) => f.answers.filter((t) => t > changedAt + 1000).length;
    expect(after(outsiderTcp)).toBe(0);
    expect(after(outsiderUdp)).toBe(0);
    expect(after(memberTcp)).toBeGreaterThan(5);
    expect(after(memberUdp)).toBeGreaterThan(5);
    // and new ones from outside ssh are refused, as before
    expect(connect('ps-vm-other', '10.10.10.30', 80)).toBe('timeout');
  }, 60_000);

  test('deleting the rule cuts the member\'s flows too', async () => {
    const proxy = await group('proxy');
    const rules = proxy.security_group_rules.filter((r: { remote_group_id: string | null; direction: string }) => r.remote_group_id && r.direction === 'ingress');
    const memberTcp = await startTalk('ps-vm-int', 'tcp', '10.10.10.30', 80, INTERVAL);
    probes.push(memberTcp);
    await sleep(1000);
    expect(flowing(memberTcp.answers)).toBe(true);
    const tcpRule = rules.find((r: { protocol: string }) => r.protocol === 'tcp');
    expect((await api(server.url, 'DELETE', `/v2.0/security-group-rules/${tcpRule.id}`, admin)).status).toBe(204);
    const changedAt = Date.now();
    await sleep(2000);
    expect(memberTcp.answers.filter((t) => t > changedAt + 1000).length).toBe(0);
    // the UDP rule stays: the member's UDP flow from the first test still echoes
    expect(flowing(memberUdpFlow.answers)).toBe(true);
  }, 60_000);

  test('deleting the proxy\'s port leaves no tracked connection of its address', async () => {
    const proxy = await port('proxy-eth0');
    const tracked = () => run(['conntrack', '-L', '-f', 'ipv4'], { ns: 'ps-cn-cn1' }).split('\n').filter((l) => l.includes('dst=10.10.10.30 ')).length;
    // the talkers stop first (their next packets would be tracked anew); their connections stay tracked
    await Promise.all(probes.splice(1).map((p) => p.stop()));
    await sleep(300);
    expect(tracked()).toBeGreaterThan(0);
    expect((await api(server.url, 'DELETE', `/v2.0/ports/${proxy.id}`, admin)).status).toBe(204);
    await sleep(1500);
    expect(tracked()).toBe(0);
  }, 60_000);
});
