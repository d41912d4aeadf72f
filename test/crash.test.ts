/**
 * Crash safety: `portsec agent` is killed with SIGKILL at random points while
 * it applies 50 changes; every time it comes back, the node's kernel (ipsets,
 * filter and raw tables, as iptables-save prints them) equals the compiled
 * state of the store exactly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { removeComputeNode } from '../src/dataplane/compute-node.js';
import { convergence, readKernelState } from '../src/dataplane/kernel-state.js';
import { parseTopology } from '../src/policy/topology.js';
import { Store } from '../src/store/store.js';
import { topologyForHost } from '../src/store/topology.js';
import { isRoot } from './support/netns.js';
import { api, as, CLI, type RunningServer, startServer } from './support/server.js';

const HOST = `cr${process.pid}`;
const admin = as('admin', 'admin');
let server: RunningServer;
let store: Store;
const ports: string[] = [];
const groups: string[] = [];

beforeAll(async () => {
  if (!isRoot()) return;
  server = await startServer(['--auth', 'trusted-headers']);
  const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network.id;
  await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net, cidr: '10.1.0.0/16', ip_version: 4 } });
  for (const name of ['a', 'b', 'c']) groups.push((await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name } })).body.security_group.id);
  for (let i = 0; i < 10; i++) {
    ports.push((await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, security_groups: [groups[i % 3]], 'binding:host_id': i < 8 ? HOST : 'elsewhere' } })).body.port.id);
  }
  store = new Store(server.db);
});

afterAll(async () => {
  if (!isRoot()) return;
  store?.close();
  await server?.stop();
  removeComputeNode(HOST);
});

/** Starts the agent; resolves once it has converged the node. */
async function startAgent(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'agent', '--host', HOST, '--db', server.db, '--interval', '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ok, fail) => {
    child.stdout!.on('data', (d) => { if (String(d).includes('converged')) ok(); });
    child.once('exit', (c) => fail(new Error(`agent exited with ${c}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

function expectKernelIsCompiled(): void {
  const compiled = new NodeCompiler(parseTopology(topologyForHost(store, HOST))).state;
  const d = convergence(readKernelState(`ps-cn-${HOST}`, 'nft'), compiled);
  const pending = [
    ...Object.values(d.iptables).flatMap((t) => Object.values(t).flatMap((x) => [...x.write.keys(), ...x.remove])),
    ...d.createSets.keys(), ...d.addMembers.keys(), ...d.delMembers.keys(), ...d.destroySets,
  ];
  expect(pending).toEqual([]);
}

type Change = { kind: 'pairs' | 'groups' | 'rule'; port: number; pick: number; wait: number };

test.skipIf(!isRoot())('SIGKILL at random points during 50 changes: each restart converges to the compiled state', async () => {
  const changes = fc.sample(fc.record({
    kind: fc.constantFrom('pairs', 'groups', 'rule'), port: fc.nat({ max: 9 }), pick: fc.nat({ max: 5 }), wait: fc.nat({ max: 120 }),
  }) as fc.Arbitrary<Change>, { numRuns: 50, seed: 42 });
  let agent = await startAgent();
  for (const c of changes) {
    const port = ports[c.port];
    const write = c.kind === 'pairs'
      ? api(server.url, 'PUT', `/v2.0/ports/${port}`, admin, { port: { allowed_address_pairs: c.pick % 3 ? [{ ip_address: c.pick % 2 ? '0.0.0.0/0' : `10.2.0.${c.pick}` }] : [] } })
      : c.kind === 'groups'
        ? api(server.url, 'PUT', `/v2.0/ports/${port}`, admin, { port: { security_groups: [groups[c.pick % 3]] } })
        : api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: { security_group_id: groups[c.pick % 3], direction: 'ingress', protocol: 'tcp', port_range_min: 1000 + c.port * 10 + c.pick, port_range_max: 1000 + c.port * 10 + c.pick, remote_group_id: groups[(c.pick + 1) % 3] } });
    await write;
    await new Promise((r) => setTimeout(r, c.wait));
    await kill(agent);
    agent = await startAgent();
    expectKernelIsCompiled();
  }
  await kill(agent);
}, 300_000);
