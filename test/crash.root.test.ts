/**
 * Crash safety: `portsec agent` is killed with SIGKILL at random points while
 * it applies 50 changes; every time it comes back, the node's kernel (ipsets,
 * filter and raw tables, as iptables-save prints them) equals the compiled
 * state of the store exactly, with the data plane's closed FORWARD policy.
 *
 * Throughout, an instance on the node streams UDP datagrams (a new flow each)
 * to another: some flows the policy forbids from start to end (a spoofed
 * source, a port no rule opens, a remote group the sender never joins), two the
 * changes toggle (a source address while it is a pair of the sender's port; a
 * remote-group rule while a member of the group carries pair 0.0.0.0/0), one it
 * always allows. A datagram may pass while a change is in
 * flight under the policy before or after it; one that no policy in force while
 * it travelled allows must never arrive.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { createComputeNode, nodeNamespace, plugInstance, removeComputeNode, removeInstance } from '../src/dataplane/compute-node.js';
import { run } from '../src/dataplane/exec.js';
import { isClosed, nodeState } from '../src/dataplane/iptables/fail-closed.js';
import { convergence, readKernelState } from '../src/dataplane/iptables/kernel-state.js';
import { cidrContains, parseCidr } from '../src/model/addresses.js';
import { parseTopology } from '../src/policy/topology.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { topologyForHost } from '../src/store/topology.js';
import { isRoot } from './support/netns.js';
import { stopServers, udpSink, udpStream } from './support/probes.js';
import { api, as, CLI, type RunningServer, startServer } from './support/server.js';

const HOST = `cr${process.pid}`;
const NODE = nodeNamespace(HOST);
const VMS = { sender: `${HOST}-s`, receiver: `${HOST}-d` };
/** an address on the sender that no port ever has, nor any pair covers */
const SPOOFED = '10.1.9.9';
/** an address on the sender that the changes make a pair of its port, and take away again */
const PAIRED = '10.1.9.10';
const STREAM_MS = 25;
const admin = as('admin', 'admin');
let server: RunningServer;
let store: SqliteStore;
const ports: string[] = [];
const groups: string[] = [];
let zGroup: string;
let sender: any;
let receiver: any;

const create = async (collection: string, body: object) => {
  const res = await api(server.url, 'POST', `/v2.0/${collection}`, admin, body);
  if (res.status !== 201) throw new Error(`POST ${collection}: ${res.status} ${JSON.stringify(res.body)}`);
  return Object.values(res.body)[0] as any;
};

beforeAll(async () => {
  if (!isRoot()) return;
  server = await startServer(['--auth', 'trusted-headers']);
  const net = (await create('networks', { network: { name: 'n' } })).id;
  await create('subnets', { subnet: { network_id: net, cidr: '10.1.0.0/16', ip_version: 4, allocation_pools: [{ start: '10.1.0.10', end: '10.1.0.250' }] } });
  for (const name of ['a', 'b', 'c']) groups.push((await create('security-groups', { security_group: { name } })).id);
  for (let i = 0; i < 10; i++) {
    ports.push((await create('ports', { port: { network_id: net, security_groups: [groups[i % 3]], 'binding:host_id': i < 8 ? HOST : 'elsewhere' } })).id);
  }
  // the probes' own groups, which no change touches: the receiver admits udp/7000 from the subnet,
  // udp/7001 from members of a, udp/7003 from members of z (one port elsewhere); nothing opens udp/7002
  const [src, dst] = [(await create('security-groups', { security_group: { name: 'src' } })).id, (await create('security-groups', { security_group: { name: 'dst' } })).id];
  zGroup = (await create('security-groups', { security_group: { name: 'z' } })).id;
  const udp = (port: number, from: object) => create('security-group-rules', { security_group_rule: { security_group_id: dst, direction: 'ingress', protocol: 'udp', port_range_min: port, port_range_max: port, ...from } });
  await udp(7000, { remote_ip_prefix: '10.1.0.0/16' });
  await udp(7001, { remote_group_id: groups[0] });
  await udp(7003, { remote_group_id: zGroup });
  await create('ports', { port: { network_id: net, security_groups: [zGroup], 'binding:host_id': 'elsewhere' } });
  sender = await create('ports', { port: { network_id: net, name: 'sender', security_groups: [src], 'binding:host_id': HOST } });
  receiver = await create('ports', { port: { network_id: net, name: 'receiver', security_groups: [dst], 'binding:host_id': HOST } });
  store = new SqliteStore(server.db);
  // plugged before any agent ran: nothing flows until the agent closed the node and wrote their chains
  createComputeNode(HOST);
  for (const [vm, port] of [[VMS.sender, sender], [VMS.receiver, receiver]]) {
    plugInstance(NODE, vm, { ...port, addresses: [`${port.fixed_ips[0].ip_address}/16`] });
  }
  for (const ip of [SPOOFED, PAIRED]) run(['ip', 'addr', 'add', `${ip}/16`, 'dev', 'eth0'], { ns: `ps-vm-${VMS.sender}` });
}, 60_000);

afterAll(async () => {
  if (!isRoot()) return;
  await stopServers();
  await store?.close();
  await server?.stop();
  for (const vm of Object.values(VMS)) removeInstance(vm);
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

async function expectKernelIsCompiled(): Promise<void> {
  const compiled = new NodeCompiler(parseTopology(await store.snapshot((tx) => topologyForHost(tx, HOST)))).state;
  const d = convergence(readKernelState(NODE, 'nft'), nodeState(compiled));
  const pending = [
    ...Object.values(d.iptables).flatMap((t) => Object.values(t).flatMap((x) => [...x.write.keys(), ...x.remove])),
    ...d.createSets.keys(), ...d.addMembers.keys(), ...d.delMembers.keys(), ...d.destroySets,
  ];
  expect(pending).toEqual([]);
  expect(isClosed(NODE, 'nft')).toBe(true);
}

/** The API's view of who stands for what: a port's own addresses (fixed IPs and pairs), a group's members' addresses. */
class PolicyView {
  private constructor(private readonly ports: any[]) {}

  static async now(): Promise<PolicyView> {
    return new PolicyView((await api(server.url, 'GET', '/v2.0/ports', admin)).body.ports);
  }

  private static covers(port: any, ip: string): boolean {
    const addr = parseCidr(ip, true)!;
    return [...port.fixed_ips.map((f: any) => f.ip_address), ...port.allowed_address_pairs.map((p: any) => p.ip_address)]
      .some((c: string) => cidrContains(parseCidr(c, true)!, addr.family, addr.address));
  }

  /** anti-spoofing: the port may send from `ip` */
  mayUse(portId: string, ip: string): boolean {
    return PolicyView.covers(this.ports.find((p) => p.id === portId), ip);
  }

  /** `ip` is in the remote group's set */
  member(groupId: string, ip: string): boolean {
    return this.ports.some((p) => p.security_groups.includes(groupId) && PolicyView.covers(p, ip));
  }
}

type Change = { kind: 'pairs' | 'groups' | 'rule' | 'sender'; port: number; pick: number; wait: number };

/** One change through the API: a churn port's pairs (0.0.0.0/0 among them) or group, a rule added to a group, the sender's pair. */
function write(c: Change) {
  const port = ports[c.port];
  const put = (id: string, body: object) => api(server.url, 'PUT', `/v2.0/ports/${id}`, admin, { port: body });
  switch (c.kind) {
    case 'pairs':
      return put(port, { allowed_address_pairs: c.pick % 3 ? [{ ip_address: c.pick % 2 ? '0.0.0.0/0' : `10.2.0.${c.pick}` }] : [] });
    case 'groups':
      return put(port, { security_groups: [groups[c.pick % 3]] });
    case 'sender':
      return put(sender.id, { allowed_address_pairs: c.pick % 2 ? [{ ip_address: PAIRED }] : [] });
    case 'rule': {
      const tcp = 1000 + c.port * 10 + c.pick;
      return api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: {
        security_group_id: groups[c.pick % 3], direction: 'ingress', protocol: 'tcp', port_range_min: tcp, port_range_max: tcp, remote_group_id: groups[(c.pick + 1) % 3],
      } });
    }
  }
}

interface Flow {
  name: string;
  /** udp-stream target: receiver:port[:source] */
  target: string;
  allowed(view: PolicyView): boolean;
}

/** When a policy could be in the kernel: from the write that made it until the next change was seen converged. */
interface Window {
  from: number;
  until: number;
  allowed: boolean[];
}

test('SIGKILL at random points during 50 changes: each restart converges to the compiled state; no probe sees a forbidden packet', async () => {
  const changes = fc.sample(fc.record({
    kind: fc.constantFrom('pairs', 'groups', 'rule', 'sender'), port: fc.nat({ max: 9 }), pick: fc.nat({ max: 5 }), wait: fc.nat({ max: 120 }),
  }) as fc.Arbitrary<Change>, { numRuns: 50, seed: 42 });
  const me = sender.fixed_ips[0].ip_address;
  const to = receiver.fixed_ips[0].ip_address;
  const flows: Flow[] = [
    { name: 'allowed (udp/7000 from the subnet)', target: `${to}:7000`, allowed: () => true },
    { name: `spoofed source ${SPOOFED}`, target: `${to}:7000:${SPOOFED}`, allowed: (v) => v.mayUse(sender.id, SPOOFED) },
    { name: `source ${PAIRED} (toggled: a pair of the sender's port)`, target: `${to}:7000:${PAIRED}`, allowed: (v) => v.mayUse(sender.id, PAIRED) },
    { name: 'udp/7001 from group a (toggled: a member of a with pair 0.0.0.0/0)', target: `${to}:7001`, allowed: (v) => v.member(groups[0], me) },
    { name: 'closed port udp/7002', target: `${to}:7002`, allowed: () => false },
    { name: 'group never joined (udp/7003 from z)', target: `${to}:7003`, allowed: (v) => v.member(zGroup, me) },
  ];
  const allowedNow = async () => {
    const view = await PolicyView.now();
    return flows.map((f) => f.allowed(view));
  };

  let agent = await startAgent();
  await expectKernelIsCompiled();
  const sink = await udpSink(`ps-vm-${VMS.receiver}`, [7000, 7001, 7002, 7003]);
  const windows: Window[] = [{ from: 0, until: Infinity, allowed: await allowedNow() }];
  const stream = await udpStream(`ps-vm-${VMS.sender}`, STREAM_MS, 600, flows.map((f) => f.target));
  for (const c of changes) {
    const from = Date.now();
    await write(c);
    windows.push({ from, until: Infinity, allowed: await allowedNow() });
    await new Promise((r) => setTimeout(r, c.wait));
    await kill(agent);
    agent = await startAgent();
    await expectKernelIsCompiled();
    windows[windows.length - 2].until = Date.now();
  }
  // the datagrams still travelling arrive under the last policy
  await new Promise((r) => setTimeout(r, 500));
  await stream.stop();
  await sink.stop();
  await kill(agent);

  const delivered = flows.map(() => 0);
  const forbidden = flows.map(() => 0);
  for (const d of sink.received) {
    delivered[d.target]++;
    const legal = windows.some((w) => w.allowed[d.target] && w.from <= d.receivedAt && d.sentAt <= w.until);
    if (!legal) forbidden[d.target]++;
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(`probes: ${sum(stream.sent)} packets sent, ${sum(delivered)} delivered, forbidden-delivered=${sum(forbidden)}`);
  flows.forEach((f, i) => {
    const allowedIn = windows.filter((w) => w.allowed[i]).length;
    const toggles = windows.filter((w, k) => k > 0 && w.allowed[i] !== windows[k - 1].allowed[i]).length;
    console.log(`  ${f.name}: ${stream.sent[i]} sent, ${delivered[i]} delivered, ${forbidden[i]} forbidden-delivered; allowed by ${allowedIn} of ${windows.length} policies, ${toggles} toggles`);
  });
  expect(forbidden).toEqual(flows.map(() => 0));
  // the probes saw the data plane at work: every flow some policy allowed got through at some point
  flows.forEach((_, i) => {
    if (windows.some((w) => w.allowed[i])) expect(delivered[i]).toBeGreaterThan(0);
  });
}, 400_000);
