/**
 * A network spanning two compute nodes: each node a namespace with its own
 * agent, the bridges joined by VXLAN over an underlay namespace. Policy holds
 * across the tunnel (remote-group members on the other node, anti-spoofing at
 * the sender's node).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Agent } from '../src/dataplane/agent.js';
import { plugInstance, removeComputeNode, removeInstance, removeUnderlay } from '../src/dataplane/compute-node.js';
import { run } from '../src/dataplane/exec.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { isRoot } from './support/netns.js';
import { connect, serve, stopServers } from './support/probes.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

const HOSTS = [`vx${process.pid}a`, `vx${process.pid}b`];
// an underlay of this test's own, apart from any other cloud on the machine
process.env.PORTSEC_UNDERLAY = `ps-ul-${process.pid}`;
const admin = as('admin', 'admin');
let server: RunningServer;
let store: SqliteStore;
const agents: Agent[] = [];
const vms: string[] = [];
let ips: string[] = [];

beforeAll(async () => {
  if (!isRoot()) return;
  server = await startServer(['--auth', 'trusted-headers']);
  const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network;
  await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net.id, cidr: '10.1.1.0/24', ip_version: 4, allocation_pools: [{ start: '10.1.1.10', end: '10.1.1.99' }] } });
  const web = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'web' } })).body.security_group.id;
  // tcp/8080 only from members of web itself: the member on the other node must be in the set
  await api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: { security_group_id: web, direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_group_id: web } });
  const ports = [];
  for (const host of HOSTS) ports.push((await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net.id, security_groups: [web], 'binding:host_id': host } })).body.port);
  ips = ports.map((p) => p.fixed_ips[0].ip_address);
  store = new SqliteStore(server.db);
  for (const host of HOSTS) await store.agents.tunnelAddress(host);
  for (const [i, host] of HOSTS.entries()) {
    const agent = new Agent(store, host);
    await agent.start();
    await agent.plumb();
    agents.push(agent);
    plugInstance(agent.ns, host, { ...ports[i], addresses: [`${ips[i]}/24`] });
    vms.push(host);
  }
  // the tunnel really is VXLAN over the underlay, with the network's VNI
  expect(run(['ip', '-d', 'link', 'show', `vxlan-${net['provider:segmentation_id']}`], { ns: agents[0].ns })).toContain(`vxlan id ${net['provider:segmentation_id']}`);
  run(['ip', 'addr', 'add', '10.1.1.2/24', 'dev', 'eth0'], { ns: `ps-vm-${HOSTS[0]}` });
  await serve(`ps-vm-${HOSTS[1]}`, 8080);
});

afterAll(async () => {
  if (!isRoot()) return;
  await stopServers();
  for (const vm of vms) removeInstance(vm);
  for (const host of HOSTS) removeComputeNode(host);
  removeUnderlay();
  await store?.close();
  await server?.stop();
});

test('members on another node reach a remote-group rule across VXLAN; spoofed sources do not', () => {
  expect(connect(`ps-vm-${HOSTS[0]}`, ips[1], 8080)).toBe(`peer=${ips[0]}`);
  expect(connect(`ps-vm-${HOSTS[0]}`, ips[1], 8080, '10.1.1.2')).toBe('timeout');
});
