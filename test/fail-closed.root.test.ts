/**
 * Fail closed: a port's traffic is never forwarded while its chains are
 * missing or half-written. Real packets on real compute nodes: a tap plugged
 * before its chains exist, and one left plugged after its port is gone, pass
 * nothing; every prefix of a delta's commands (an agent killed between two
 * of them) forwards only what the policy before or after the change allows; a
 * restore cut short commits nothing. Bridged traffic of no port (a router's
 * uplink, a VXLAN tunnel) still flows, also with the legacy backend, where
 * `lab up` waits for the agent's own backend to enforce each port.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { type NodeState } from '../src/backends/iptables/state.js';
import { Agent } from '../src/dataplane/agent.js';
import { bridgeName } from '../src/backends/iptables/naming.js';
import { createComputeNode, nodeNamespace, plugInstance, removeComputeNode, removeInstance } from '../src/dataplane/compute-node.js';
import { CommandError, run } from '../src/dataplane/exec.js';
import { closeNode, GUARD, isClosed, NO_PORT_RULE, nodeBackend, nodeDelta, nodeState } from '../src/dataplane/iptables/fail-closed.js';
import { converge, deltaSteps, type Step } from '../src/dataplane/iptables/kernel.js';
import { convergence, readKernelState } from '../src/dataplane/iptables/kernel-state.js';
import { NeutronClient } from '../src/lab/client.js';
import { labDown, labUp } from '../src/lab/lab.js';
import { labSpec } from '../src/lab/spec.js';
import { applyEvent, type Event, parseEvent } from '../src/policy/events.js';
import { parseTopology, type Topology } from '../src/policy/topology.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { createNamespace, deleteAllNamespaces, isRoot } from './support/netns.js';
import { connect, serve, stopServers } from './support/probes.js';
import { api, as, type RunningServer, startServer } from './support/server.js';

const admin = as('admin', 'admin');
const instances: string[] = [];
const hosts: string[] = [];

afterAll(async () => {
  if (!isRoot()) return;
  await stopServers();
  for (const vm of instances) removeInstance(vm);
  for (const host of hosts) removeComputeNode(host);
  deleteAllNamespaces();
});

function plug(node: string, name: string, port: { id: string; network_id: string; mac_address: string }, ip: string): string {
  instances.push(name);
  return plugInstance(node, name, { ...port, addresses: [`${ip}/24`] });
}

/** A namespace on the network's bridge through a veth that is no port (like a lab router's uplink). */
function uplink(node: string, networkId: string, ip: string): string {
  const ns = createNamespace('fcup');
  const dev = `upl-${ns.split('-').pop()}`.slice(0, 15);
  run(['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns], { ns: node });
  run(['ip', 'link', 'set', dev, 'master', bridgeName(networkId), 'up'], { ns: node });
  run(['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0'], { ns });
  run(['ip', 'link', 'set', 'eth0', 'up'], { ns });
  return ns;
}

describe('with an agent following the API', () => {
  const HOST = `fa${process.pid}`;
  let server: RunningServer;
  let store: SqliteStore;

  beforeAll(async () => {
    server = await startServer(['--auth', 'trusted-headers']);
    store = new SqliteStore(server.db);
    hosts.push(HOST);
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  test('a tap plugged before its chains exist passes nothing; once the agent wrote them it does; a port gone leaves its tap closed', async () => {
    const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network.id;
    await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4, allocation_pools: [{ start: '10.1.1.10', end: '10.1.1.99' }] } });
    const web = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'web' } })).body.security_group.id;
    await api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: { security_group_id: web, direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_ip_prefix: '10.1.1.0/24' } });
    const agent = new Agent(store, HOST);
    await agent.start();
    expect(isClosed(agent.ns, 'nft')).toBe(true);
    // the ports exist in the API, their instances are plugged, the agent has not applied them yet
    const port = async (name: string) => (await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, name, security_groups: [web], 'binding:host_id': HOST } })).body.port;
    const [a, b] = [await port('a'), await port('b')];
    const [ipA, ipB] = [a.fixed_ips[0].ip_address, b.fixed_ips[0].ip_address];
    const vmA = plug(agent.ns, `${HOST}-a`, a, ipA);
    const vmB = plug(agent.ns, `${HOST}-b`, b, ipB);
    await serve(vmA, 8080);
    await serve(vmB, 8080);
    expect(connect(vmA, ipB, 8080, undefined, 800)).toBe('timeout');
    expect(connect(vmB, ipA, 8080, undefined, 800)).toBe('timeout');

    await agent.sync();
    expect(connect(vmA, ipB, 8080)).toBe(`peer=${ipA}`);
    expect(connect(vmB, ipA, 8080)).toBe(`peer=${ipB}`);

    // bridged traffic of no port flows, into ports as their chains say
    const [up1, up2] = [uplink(agent.ns, net, '10.1.1.201'), uplink(agent.ns, net, '10.1.1.202')];
    await serve(up2, 8080);
    expect(connect(up1, '10.1.1.202', 8080)).toBe('peer=10.1.1.201');
    expect(connect(up1, ipB, 8080)).toBe('peer=10.1.1.201');
    expect(connect(up1, ipB, 22, undefined, 800)).toBe('timeout');

    // b deleted, its instance still plugged: its chains are gone and so is its traffic
    expect((await api(server.url, 'DELETE', `/v2.0/ports/${b.id}`, admin)).status).toBe(204);
    await agent.sync();
    expect(run(['iptables-nft-save', '-t', 'filter'], { ns: agent.ns })).not.toContain(b.id.slice(0, 10));
    expect(connect(vmB, ipA, 8080, undefined, 800)).toBe('timeout');
    expect(connect(up1, ipB, 8080, undefined, 800)).toBe('timeout');
    expect(connect(vmA, ipB, 8080, undefined, 800)).toBe('timeout');
    expect(connect(up1, ipA, 8080)).toBe('peer=10.1.1.201');
  }, 60_000);
});

describe('deltas cut short', () => {
  const HOST = `fd${process.pid}`;
  const NET = '6f1e0c5a-3b2d-4e8f-a1c9-7d5b3e2f1a0c';
  const WEB = 'a1b2c3d4-0001-4000-8000-000000000080';
  const SECONDARY = '10.1.1.2';
  const port = (n: number) => ({ id: `c0ffee1${n}-aaaa-4a00-8000-00000000000${n}`, network_id: NET, mac_address: `fa:16:3e:00:00:1${n}`, fixed_ips: [`10.1.1.1${n}`], security_groups: [WEB], allowed_address_pairs: [] as object[] });
  const [A, B, C] = [port(1), port(2), port(3)];
  const vm = (p: { id: string }) => `ps-vm-${HOST}-${p.id.slice(7, 8)}`;
  /** the probes, and which of them each policy below allows (web admits tcp/8080 from its own members only) */
  const flows: [string, () => string, string][] = [
    ['a to b', () => connect(vm(A), '10.1.1.12', 8080, undefined, 600), 'peer=10.1.1.11'],
    [`a to b from ${SECONDARY}`, () => connect(vm(A), '10.1.1.12', 8080, SECONDARY, 600), `peer=${SECONDARY}`],
    ['c to b', () => connect(vm(C), '10.1.1.12', 8080, undefined, 600), 'peer=10.1.1.13'],
    ['b to c', () => connect(vm(B), '10.1.1.13', 8080, undefined, 600), 'peer=10.1.1.12'],
  ];
  const changes: [string, Event, boolean[]][] = [
    ['port c added (its instance plugged long before)', { op: 'add_port', port: C }, [true, false, true, true]],
    [`pair ${SECONDARY} on a`, { op: 'update_port', port: { ...A, allowed_address_pairs: [{ ip_address: SECONDARY }] } }, [true, true, true, true]],
    ['pairs of a cleared', { op: 'update_port', port: A }, [true, false, true, true]],
    ['port c removed (its instance still plugged)', { op: 'remove_port', id: C.id }, [true, false, false, false]],
  ];
  let node: string;

  const delivered = () => flows.map(([, probe, answer]) => probe() === answer);
  const pending = (state: NodeState) => {
    const d = convergence(readKernelState(node, 'nft'), state);
    return [...Object.values(d.iptables).flatMap((t) => Object.values(t).flatMap((x) => [...x.write.keys(), ...x.remove])), ...d.createSets.keys(), ...d.addMembers.keys(), ...d.delMembers.keys(), ...d.destroySets];
  };

  beforeAll(async () => {
    hosts.push(HOST);
    node = createComputeNode(HOST);
    closeNode(node, 'nft');
    for (const p of [A, B, C]) plug(node, `${HOST}-${p.id.slice(7, 8)}`, p, p.fixed_ips[0]);
    run(['ip', 'addr', 'add', `${SECONDARY}/24`, 'dev', 'eth0'], { ns: vm(A) });
    for (const p of [B, C]) await serve(vm(p), 8080);
  });

  test('every prefix of a delta\'s commands forwards only what the policy before or after allows; a restore cut short commits nothing', () => {
    let topology: Topology = parseTopology({
      options: { driver: 'linuxbridge', enable_ipset: true },
      security_groups: [{ id: WEB, name: 'web', security_group_rules: [
        { id: 'web-8080', direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080, remote_group_id: WEB },
        { id: 'web-egress', direction: 'egress' },
      ] }],
      ports: [A, B],
    });
    const compiler = new NodeCompiler(topology);
    let allowed = [true, false, false, false];
    converge(node, 'nft', nodeState(compiler.state));
    expect(delivered()).toEqual(allowed);
    let prefixes = 0;
    let cutShort = 0;
    for (const [what, raw, after] of changes) {
      const before = structuredClone(nodeState(compiler.state));
      const e = parseEvent(topology, raw);
      topology = applyEvent(topology, e);
      const steps = deltaSteps('nft', nodeDelta(compiler.apply(e)));
      const run_ = (s: Step) => run(s.argv, { ns: node, input: s.input });
      for (let k = 1; k < steps.length; k++) {
        converge(node, 'nft', before);
        steps.slice(0, k).forEach(run_);
        const got = delivered();
        got.forEach((ok, i) => {
          if (ok && !allowed[i] && !after[i]) throw new Error(`${what}: after ${k} of ${steps.length} steps, ${flows[i][0]} got through`);
        });
        prefixes++;
        // the agent killed while writing the next restore: its filter table never commits
        if (steps[k].argv[0].includes('iptables')) {
          const family = steps[k].argv[0].startsWith('ip6') ? 'IPv6' : 'IPv4';
          const filter = () => readKernelState(node, 'nft').tables[family].filter;
          const prior = filter();
          expect(() => run(steps[k].argv, { ns: node, input: steps[k].input.replace(/COMMIT\n$/, '') })).toThrow(CommandError);
          expect(filter()).toEqual(prior);
          cutShort++;
        }
      }
      converge(node, 'nft', before);
      steps.forEach(run_);
      expect(pending(nodeState(compiler.state))).toEqual([]);
      expect(delivered(), what).toEqual(after);
      allowed = after;
    }
    console.log(`fail-closed: ${changes.length} changes, ${prefixes} half-applied states probed with ${flows.length} flows each, ${cutShort} restores cut short`);
  }, 180_000);
});

describe('a lab on the legacy backend, across two nodes', () => {
  const tag = `f${process.pid}`;
  const spec = labSpec.parse({
    name: tag,
    networks: [{ name: 'net', cidr: '10.1.1.0/24' }],
    groups: [{ name: 'web', rules: [{ protocol: 'tcp', port: 8080, remote_ip_prefix: '10.1.1.0/24' }] }],
    instances: [
      { name: `${tag}a`, host: `${tag}h1`, ports: [{ network: 'net', ip: '10.1.1.11', groups: ['web'] }], services: [8080] },
      { name: `${tag}b`, host: `${tag}h2`, ports: [{ network: 'net', ip: '10.1.1.12', groups: ['web'] }], services: [8080] },
    ],
    externals: [{ name: `${tag}r`, uplinks: [{ network: 'net', host: `${tag}h1`, ip: '10.1.1.1/24' }], services: [8080] }],
  });
  const underlay = process.env.PORTSEC_UNDERLAY;
  let server: RunningServer;
  let client: NeutronClient;

  beforeAll(async () => {
    process.env.PORTSEC_UNDERLAY = `ps-ul-${process.pid}`;
    server = await startServer(['--auth', 'trusted-headers', '--agents', 'on', '--backend', 'legacy']);
    client = await NeutronClient.connect(server.url);
    await labUp(spec, client, () => {});
  }, 120_000);
  afterAll(async () => {
    if (client) await labDown(spec, client, () => {});
    await server?.stop();
    process.env.PORTSEC_UNDERLAY = underlay;
    if (underlay === undefined) delete process.env.PORTSEC_UNDERLAY;
  }, 120_000);

  test('lab up waits for the legacy agent; the router\'s uplink reaches the other node through the tunnel, and only through the data plane\'s rule', () => {
    const h1 = nodeNamespace(`${tag}h1`);
    expect(nodeBackend(h1)).toBe('legacy');
    expect(run(['iptables-nft-save'], { ns: h1 })).toBe('');
    const router = `ps-ext-${tag}r`;
    expect(connect(`ps-vm-${tag}a`, '10.1.1.12', 8080)).toBe(`${tag}b peer=10.1.1.11`);
    // on h1 this crosses the bridge from the uplink to the VXLAN device: no tap at either end
    expect(connect(router, '10.1.1.12', 8080)).toBe(`${tag}b peer=10.1.1.1`);
    expect(connect(`ps-vm-${tag}b`, '10.1.1.1', 8080)).toBe(`${tag}r peer=10.1.1.12`);
    const rules = () => run(['iptables-legacy', '-S', GUARD], { ns: h1 }).split('\n').filter((l) => l.startsWith('-A '));
    const guard = rules();
    const at = guard.indexOf(`-A ${GUARD} ${NO_PORT_RULE}`) + 1;
    expect(at).toBeGreaterThan(0);
    const edit = (op: string) => run(['iptables-legacy-restore', '--noflush'], { ns: h1, input: `*filter\n${op} ${NO_PORT_RULE}\nCOMMIT\n` });
    edit(`-D ${GUARD}`);
    try {
      expect(connect(router, '10.1.1.12', 8080, undefined, 800)).toBe('timeout');
      expect(connect(router, '10.1.1.11', 8080)).toBe(`${tag}a peer=10.1.1.1`);
    } finally {
      edit(`-I ${GUARD} ${at}`);
    }
    expect(rules()).toEqual(guard);
    expect(connect(router, '10.1.1.12', 8080)).toBe(`${tag}b peer=10.1.1.1`);
  }, 60_000);
});
