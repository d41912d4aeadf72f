/**
 * The agent end to end: resources created through the API, a compute node
 * built and converged from the store, instances plugged into it, and API
 * changes followed through the store's change log into the kernel — checked
 * with real packets.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Agent } from '../src/dataplane/agent.js';
import { plugInstance, removeComputeNode, removeInstance } from '../src/dataplane/compute-node.js';
import { run } from '../src/dataplane/exec.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { isRoot } from './support/netns.js';
import { connect, serve, stopServers } from './support/probes.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

const HOST = `ag${process.pid}`;
const admin = as('admin', 'admin');
let server: RunningServer;
let store: SqliteStore;
let agent: Agent;
const vms: string[] = [];
let portA: any;
let vmA: string;
let vmB: string;

const put = (id: string, port: Record<string, unknown>) => api(server.url, 'PUT', `/v2.0/ports/${id}`, admin, { port });

beforeAll(async () => {
  if (!isRoot()) return;
  server = await startServer(['--auth', 'trusted-headers']);
  const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network.id;
  await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4, allocation_pools: [{ start: '10.1.1.10', end: '10.1.1.99' }] } });
  const web = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'web' } })).body.security_group.id;
  await api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: { security_group_id: web, direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_ip_prefix: '10.1.1.0/24' } });
  const create = async (name: string) => (await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, name, security_groups: [web], 'binding:host_id': HOST } })).body.port;
  portA = await create('a');
  const portB = await create('b');
  store = new SqliteStore(server.db);
  agent = new Agent(store, HOST);
  await agent.start();
  const plug = (name: string, p: any) => {
    vms.push(`${HOST}-${name}`);
    return plugInstance(agent.ns, `${HOST}-${name}`, { ...p, addresses: p.fixed_ips.map((f: any) => `${f.ip_address}/24`) });
  };
  vmA = plug('a', portA);
  vmB = plug('b', portB);
  run(['ip', 'addr', 'add', '10.1.1.2/24', 'dev', 'eth0'], { ns: vmA });
  await serve(vmB, 8080);
});

afterAll(async () => {
  if (!isRoot()) return;
  await stopServers();
  for (const vm of vms) removeInstance(vm);
  removeComputeNode(HOST);
  await store?.close();
  await server?.stop();
});

test('API changes reach the kernel through the agent', async () => {
  const ipA = portA.fixed_ips[0].ip_address;
  const ipB = (await api(server.url, 'GET', `/v2.0/ports?name=b`, admin)).body.ports[0].fixed_ips[0].ip_address;
  expect(connect(vmA, ipB, 8080)).toBe(`peer=${ipA}`);
  expect(connect(vmA, ipB, 8080, '10.1.1.2')).toBe('timeout');
  expect((await put(portA.id, { allowed_address_pairs: [{ ip_address: '10.1.1.2' }] })).status).toBe(200);
  expect((await agent.sync()).length).toBe(1);
  expect(connect(vmA, ipB, 8080, '10.1.1.2')).toBe('peer=10.1.1.2');
  // the seed's way of clearing pairs
  expect((await put(portA.id, { allowed_address_pairs: '' })).status).toBe(200);
  await agent.sync();
  expect(connect(vmA, ipB, 8080, '10.1.1.2')).toBe('timeout');
});

test('a restarted agent converges the kernel, whatever was changed behind its back', async () => {
  run(['iptables-nft', '-F', `neutron-linuxbri-s${portA.id.slice(0, 10)}`], { ns: agent.ns });
  const again = new Agent(store, HOST);
  const delta = await again.start();
  expect([...delta.iptables.IPv4.filter.write.keys()]).toEqual([`neutron-linuxbri-s${portA.id.slice(0, 10)}`]);
  expect((await again.start()).iptables.IPv4.filter.write.size).toBe(0);
});
