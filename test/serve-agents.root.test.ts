/**
 * `portsec serve` enforces what it stores: with agents on, binding a port to a
 * host builds that compute node and loads its chains; later API changes reach
 * the kernel without any other process.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { removeComputeNode } from '../src/dataplane/compute-node.js';
import { run } from '../src/dataplane/exec.js';
import { namespaceExists } from '../src/dataplane/netns.js';
import { isRoot } from './support/netns.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

const HOST = `sa${process.pid}`;
const admin = as('admin', 'admin');
let server: RunningServer;

beforeAll(async () => {
  if (isRoot()) server = await startServer(['--auth', 'trusted-headers', '--agents', 'on']);
});
afterAll(async () => {
  if (!isRoot()) return;
  await server?.stop();
  removeComputeNode(HOST);
});

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const save = () => run(['iptables-nft-save', '-t', 'filter'], { ns: `ps-cn-${HOST}` });

test('binding a port builds the node and loads its chains; a pair change follows', async () => {
  const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network.id;
  await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4 } });
  const port = (await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, 'binding:host_id': HOST } })).body.port;
  const spoof = `neutron-linuxbri-s${port.id.slice(0, 10)}`;
  await eventually(() => namespaceExists(`ps-cn-${HOST}`) && save().includes(`:${spoof} - [0:0]`));
  await api(server.url, 'PUT', `/v2.0/ports/${port.id}`, admin, { port: { allowed_address_pairs: [{ ip_address: '10.1.1.2' }] } });
  await eventually(() => save().includes(`-A ${spoof} -s 10.1.1.2/32 -m mac --mac-source ${port.mac_address}`));
});

test('a compute node removed under its agent (lab down, then a new lab on the host) is built and converged again', async () => {
  const port = (await api(server.url, 'GET', `/v2.0/ports?binding:host_id=${HOST}`, admin)).body.ports[0];
  const spoof = `neutron-linuxbri-s${port.id.slice(0, 10)}`;
  removeComputeNode(HOST);
  expect(namespaceExists(`ps-cn-${HOST}`)).toBe(false);
  await eventually(() => namespaceExists(`ps-cn-${HOST}`) && save().includes(`-A ${spoof} -s 10.1.1.2/32 -m mac --mac-source ${port.mac_address}`));
});
