/**
 * Issue 13: what the agents enforce beside what the API says. With `--agents model
 * --agent-state neutron-21` the server's agents keep what Neutron 21's agent keeps: after
 * the NAT server's 0.0.0.0/0 pair is removed, the node whose proxy port admits "tcp/80 from
 * remote group ssh" keeps 0.0.0.0/1 and 128.0.0.0/1 in ssh's set. The audit reports it
 * (stale-members), can-reach answers for both views, and the printed fix clears it — as it
 * does on Neutron's own agent (the sample fixture recorded from it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { goldenJson } from '../src/backends/iptables/golden-json.js';
import { DEFAULT_BACKEND } from '../src/backends/index.js';
import { Agent } from '../src/dataplane/agent.js';
import { dataPlane } from '../src/dataplane/planes.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { portInput, topologyForHost } from '../src/store/topology.js';
import { statesOf } from './golden/steps-format.mjs';
import { api, as, CLI, type RunningServer, startServer } from './support/server.js';
import { type Fix } from '../src/analysis/fix/types.js';

const admin = as('ops', 'admin');
const OUTSIDE = '203.0.113.9';
let server: RunningServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const post = async (path: string, body: unknown) => {
  const r = await api(server!.url, 'POST', path, admin, body);
  if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** Until every agent follows the store's last change, and the hosts given run one. */
async function synced(hosts: string[]): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    const { body } = await api(server!.url, 'GET', '/analysis/v1/agents', admin);
    const running = body.agents.map((a: { host: string }) => a.host);
    if (hosts.every((h) => running.includes(h)) && body.agents.every((a: { change: number }) => a.change === body.change)) return;
    if (Date.now() > end) throw new Error(`agents not synced: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The seed's NAT cloud: proxy (cn1) admits tcp/80 from remote group ssh, and the NAT server (cn2, in ssh) has pair 0.0.0.0/0. */
async function natCloud(hosts = ['cn1', 'cn2']) {
  const net = (await post('/v2.0/networks', { network: { name: 'n' } })).network.id;
  await post('/v2.0/subnets', { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4 } });
  const group = async (name: string, rule: Record<string, unknown>) => {
    const id = (await post('/v2.0/security-groups', { security_group: { name } })).security_group.id;
    await post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', ...rule } });
    return id;
  };
  const ssh = await group('ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' });
  const proxyGroup = await group('proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: ssh });
  // the router that brings outside sources into the network
  await post('/v2.0/ports', { port: { network_id: net, device_owner: 'network:router_interface', device_id: 'router-1' } });
  const nat = (await post('/v2.0/ports', { port: { name: 'nat', network_id: net, security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }], 'binding:host_id': 'cn2' } })).port;
  const proxy = (await post('/v2.0/ports', { port: { name: 'proxy', network_id: net, security_groups: [proxyGroup], 'binding:host_id': 'cn1' } })).port;
  await synced(hosts);
  const removePair = async () => {
    await api(server!.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { allowed_address_pairs: [] } });
    await synced(hosts);
  };
  return { ssh, nat, proxy, removePair };
}

const staleFindings = async () => (await api(server!.url, 'GET', '/analysis/v1/findings', admin)).body.findings.filter((f: { check: string }) => f.check === 'stale-members');
const reach = async (dst: string, view?: string) => api(server!.url, 'POST', '/analysis/v1/can-reach', admin, { src: OUTSIDE, dst, protocol: 'tcp', port: 80, ...(view && { view }) });

/** The finding's first proven fix, its actions run through the API: only the refresh the check offers (anything else fails the test). */
async function runFix(findingId: string): Promise<void> {
  const { offered } = (await api(server!.url, 'GET', `/analysis/v1/findings/${findingId}/fixes`, admin)).body as { offered: Fix[] };
  expect(offered.map((x) => x.kind)).toContain('refresh-members');
  for (const a of offered[0].actions) {
    if (a.op !== 'refresh-members') throw new Error(`unexpected fix action: ${a.op}`);
    const { port } = await post('/v2.0/ports', { port: { network_id: a.network, security_groups: [a.group], name: a.name, project_id: a.project } });
    expect((await api(server!.url, 'DELETE', `/v2.0/ports/${port.id}`, admin)).status).toBe(204);
  }
}

describe('agents with Neutron 21\'s state (--agents model --agent-state neutron-21)', () => {
  test('the removed pair stays open on cn1: the audit says so, can-reach answers both views, the fix closes it', async () => {
    server = await startServer(['--auth', 'trusted-headers', '--agents', 'model', '--agent-state', 'neutron-21']);
    const { ssh, nat, proxy, removePair } = await natCloud();
    expect(await staleFindings()).toEqual([]);
    // before: both views admit the outside through the NAT server's pair
    expect((await reach(proxy.id)).body.verdict).toBe('ALLOW');
    expect((await reach(proxy.id, 'agents')).body.verdict).toBe('ALLOW');

    await removePair();
    const findings = await staleFindings();
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f.severity).toBe('critical');
    expect(f.title).toContain('still admits 0.0.0.0/1 and 128.0.0.0/1 on cn1 (IPv4): pair removed');
    expect(f.title).not.toContain('cn2');
    expect(f.objects[0]).toEqual({ type: 'security_group', id: ssh, name: 'ssh' });
    expect(f.objects.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([nat.id, proxy.id]));
    expect(f.evidence.join('\n')).toContain('0.0.0.0/1 and 128.0.0.0/1 (allowed-address pair 0.0.0.0/0 of nat)');
    expect(f.evidence.join('\n')).toContain('proxy on cn1');

    // the API's view: ssh is the NAT server's fixed IP only; the agents': cn1 still holds the pair
    const api1 = (await reach(proxy.id)).body;
    const agents1 = (await reach(proxy.id, 'agents')).body;
    expect(api1.verdict).toBe('DENY');
    expect(agents1.verdict).toBe('ALLOW');
    const ingress = agents1.steps.find((s: { stage: string }) => s.stage === 'ingress');
    expect(ingress.member).toMatchObject({ group: { id: ssh }, port: { id: nat.id }, address: '0.0.0.0/0', via: 'allowed-address-pair' });

    await runFix(f.id);
    await synced(['cn1', 'cn2']);
    expect(await staleFindings()).toEqual([]);
    expect((await reach(proxy.id, 'agents')).body.verdict).toBe('DENY');
    expect((await reach(proxy.id)).body.verdict).toBe('DENY');
  });

  test('a model agent following the change log holds what `portsec compile --agent-state neutron-21` makes of the same events', async () => {
    // the server's agents off: this one runs here, on the server's database, as `--agents model` runs them
    server = await startServer(['--auth', 'trusted-headers']);
    const { nat, removePair } = await natCloud([]);
    const store = new SqliteStore(server.db);
    const dir = mkdtempSync(join(tmpdir(), 'portsec-stale-'));
    try {
      const agent = new Agent(store, 'cn1', dataPlane(DEFAULT_BACKEND, { nodes: 'model', agentState: 'neutron-21' }));
      const initial = await store.snapshot((tx) => topologyForHost(tx, 'cn1'));
      await agent.start();
      await removePair();
      expect(await agent.sync()).toHaveLength(1);
      const [after] = await store.snapshot((tx) => tx.ports.getMany([nat.id]));
      const file = join(dir, 'node.json');
      writeFileSync(file, JSON.stringify({ ...initial, events: [{ op: 'update_port', port: portInput(after, 'cn1') }] }));
      const compiled = spawnSync(process.execPath, [CLI, 'compile', '--topology', file, '--agent-state', 'neutron-21', '--format', 'golden-json'], { encoding: 'utf8' });
      expect(compiled.stderr).toBe('');
      const held = goldenJson(agent.plane.writer.readBack(agent.ns));
      expect(held.ipset_restore).toContain(' 128.0.0.0/1\n');
      expect(JSON.parse(compiled.stdout)).toEqual(held);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the fix is what refreshes Neutron\'s own agent: a port created in the group, then deleted', () => {
    // recorded from Neutron 21's agent (test/golden/make-agent-steps.mjs); the backend suite checks the model against every step
    const raw = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/agent-steps/sample-pair-removed-refresh.json'), 'utf8'));
    const ssh = raw.input.security_groups[0].id;
    expect(raw.input.events.map((e: { op: string }) => e.op)).toEqual(['update_port', 'add_port', 'remove_port']);
    expect(raw.input.events[1].port.security_groups).toEqual([ssh]);
    const sets = statesOf(raw).map((s: { ipset_restore: string }) => s.ipset_restore);
    const half = (text: string) => text.includes(' 0.0.0.0/1\n') && text.includes(' 128.0.0.0/1\n');
    expect(sets.map(half)).toEqual([true, true, false, false]);
  });
});

test('with --agent-state ideal the agents refetch: no finding, both views agree', async () => {
  server = await startServer(['--auth', 'trusted-headers', '--agents', 'model', '--agent-state', 'ideal']);
  const { proxy, removePair } = await natCloud();
  await removePair();
  expect(await staleFindings()).toEqual([]);
  expect((await reach(proxy.id)).body.verdict).toBe('DENY');
  expect((await reach(proxy.id, 'agents')).body.verdict).toBe('DENY');
});

test('without agents, view=agents is refused with the reason; a view that does not exist too', async () => {
  server = await startServer(['--auth', 'trusted-headers']);
  const net = (await post('/v2.0/networks', { network: { name: 'n' } })).network.id;
  await post('/v2.0/subnets', { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4 } });
  const port = (await post('/v2.0/ports', { port: { network_id: net } })).port;
  const off = await reach(port.id, 'agents');
  expect(off.status).toBe(400);
  expect(JSON.stringify(off.body)).toContain('no agents run in this server');
  expect((await reach(port.id, 'kernel')).status).toBe(400);
  expect((await reach(port.id)).status).toBe(200);
});
