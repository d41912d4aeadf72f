/**
 * `portsec lab`: builds a lab file's topology through the API (networks, groups,
 * rules, ports bound to compute nodes), waits until each port's chains are in
 * its node's kernel (so an instance is never plugged in unfiltered), then plugs
 * the instances in and starts what they run. `down` removes all of it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCidr } from '../model/addresses.js';
import { tapName } from '../backends/iptables/naming.js';
import { ensureBridge, instanceNamespace, nodeNamespace, plugInstance, removeComputeNode, removeUnderlay } from '../dataplane/compute-node.js';
import { run } from '../dataplane/exec.js';
import { nodeBackend } from '../dataplane/iptables/fail-closed.js';
import { type IptablesBackend, iptablesTool } from '../dataplane/iptables/tools.js';
import { createNamespace, deleteNamespace, namespaceExists } from '../dataplane/netns.js';
import { type NeutronClient } from './client.js';
import { startService } from './probes.js';
import { type LabSpec } from './spec.js';

const portName = (instance: string, i: number) => `${instance}-eth${i}`;

/** Where an instance's files and logs live on the host. */
export const instanceDir = (spec: LabSpec, instance: string) => join(tmpdir(), `portsec-lab-${spec.name}`, instance);

function startProcess(ns: string, command: string, env: NodeJS.ProcessEnv): void {
  const child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `cd "$DIR" && exec ${command}`], { env, stdio: 'ignore', detached: true });
  child.unref();
}

async function ensure(client: NeutronClient, collection: string, name: string, create: () => Promise<string>): Promise<string> {
  return (await client.idsByName(collection, name))[0] ?? create();
}

function rulesBody(spec: LabSpec, groups: Map<string, string>) {
  return spec.groups.flatMap((g) => g.rules.map((r) => {
    const [min, max] = r.port === undefined ? [undefined, undefined] : String(r.port).split(':').map(Number);
    return {
      security_group_id: groups.get(g.name)!, direction: r.direction, ethertype: r.ethertype,
      ...(r.protocol !== undefined ? { protocol: String(r.protocol) } : {}),
      ...(min !== undefined ? { port_range_min: min, port_range_max: max ?? min } : {}),
      ...(r.remote_ip_prefix ? { remote_ip_prefix: r.remote_ip_prefix } : {}),
      ...(r.remote_group ? { remote_group_id: groups.get(r.remote_group) } : {}),
    };
  }));
}

/**
 * Waits until the node's kernel holds the port's chains (or, without port
 * security, its ACCEPT rules), read with the backend its agent uses.
 */
async function portEnforced(host: string, portId: string, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const ns = nodeNamespace(host);
  const tap = tapName(portId);
  let backend: IptablesBackend | undefined;
  for (;;) {
    backend ??= namespaceExists(ns) ? nodeBackend(ns) : undefined;
    if (backend && run([iptablesTool(backend, 'IPv4', 'save'), '-t', 'filter'], { ns }).includes(`--physdev-in ${tap} `)) return;
    if (Date.now() > end) throw new Error(`port ${portId}: compute node ${host} did not enforce it within ${timeoutMs / 1000} s (is \`portsec serve\` running its agents, as root?)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const externalNamespace = (name: string) => `ps-ext-${name}`;

/** Builds the namespaces outside the cloud once their compute nodes exist. */
function buildExternals(spec: LabSpec, networks: Map<string, { id: string }>): void {
  for (const x of spec.externals) createNamespace(externalNamespace(x.name));
  for (const x of spec.externals) {
    const ns = externalNamespace(x.name);
    x.uplinks.forEach((u, i) => {
      const node = nodeNamespace(u.host);
      const dev = `upl-${x.name}-${i}`.slice(0, 15);
      createNamespace(node);
      const br = ensureBridge(node, networks.get(u.network)!.id);
      run(['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `up${i}`, 'netns', ns], { ns: node });
      run(['ip', 'link', 'set', dev, 'mtu', '1450', 'master', br, 'up'], { ns: node });
      run(['ip', 'link', 'set', `up${i}`, 'mtu', '1450'], { ns });
      run(['ip', 'addr', 'add', u.ip, 'dev', `up${i}`], { ns });
      run(['ip', 'link', 'set', `up${i}`, 'up'], { ns });
    });
    for (const l of x.links) {
      const dev = `to-${l.peer}`.slice(0, 15);
      const back = `to-${x.name}`.slice(0, 15);
      const peerNs = externalNamespace(l.peer);
      run(['ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', back, 'netns', peerNs], { ns });
      run(['ip', 'addr', 'add', l.ip, 'dev', dev], { ns });
      run(['ip', 'link', 'set', dev, 'up'], { ns });
      run(['ip', 'addr', 'add', l.peer_ip, 'dev', back], { ns: peerNs });
      run(['ip', 'link', 'set', back, 'up'], { ns: peerNs });
    }
  }
}

async function startExternals(spec: LabSpec): Promise<void> {
  for (const x of spec.externals) {
    const ns = externalNamespace(x.name);
    for (const c of x.commands) run(['sh', '-c', c], { ns });
    for (const p of x.services) await startService(ns, p, x.name);
  }
}

type LabNetworks = Map<string, { id: string; prefixlen: number }>;
/** what a lab's networks and groups are called in the API: name → network (with its prefix length), name → group id */
interface LabObjects { networks: LabNetworks; groups: Map<string, string> }

/** The lab's networks (each with its subnet), groups and rules, through the API; existing ones (by name) are kept. */
export async function createNetworksAndGroups(spec: LabSpec, client: NeutronClient): Promise<LabObjects> {
  const networks: LabNetworks = new Map();
  for (const n of spec.networks) {
    const id = await ensure(client, 'networks', n.name, async () => (await client.call('POST', 'networks', { network: { name: n.name } })).network.id);
    if (!(await client.idsByName('subnets', n.name)).length) {
      await client.call('POST', 'subnets', { subnet: { network_id: id, name: n.name, cidr: n.cidr, ip_version: n.cidr.includes(':') ? 6 : 4, ...(n.gateway !== undefined ? { gateway_ip: n.gateway } : {}) } });
    }
    networks.set(n.name, { id, prefixlen: parseCidr(n.cidr)!.prefixlen });
  }
  const groups = new Map<string, string>();
  for (const g of spec.groups) {
    groups.set(g.name, await ensure(client, 'security-groups', g.name, async () => (await client.call('POST', 'security-groups', { security_group: { name: g.name, stateful: g.stateful } })).security_group.id));
  }
  for (const body of rulesBody(spec, groups)) {
    await client.call('POST', 'security-group-rules', { security_group_rule: body }).catch((e: Error) => {
      if (!/already exists/.test(e.message)) throw e;
    });
  }
  return { networks, groups };
}

type Instance = LabSpec['instances'][number];

/** The instance's i-th port (eth<i>), bound to its host, through the API; an existing one (by name) is kept. */
export async function createPort(client: NeutronClient, built: LabObjects, inst: Instance, i: number): Promise<string> {
  const nic = inst.ports[i];
  const net = built.networks.get(nic.network);
  if (!net) throw new Error(`instance ${inst.name}: unknown network ${nic.network}`);
  const name = portName(inst.name, i);
  return ensure(client, 'ports', name, async () => (await client.call('POST', 'ports', {
    port: {
      name, network_id: net.id, fixed_ips: [{ ip_address: nic.ip }], device_id: inst.name, device_owner: 'compute:lab',
      'binding:host_id': inst.host, port_security_enabled: nic.port_security,
      ...(nic.port_security ? { security_groups: nic.groups.map((g) => built.groups.get(g) ?? g), allowed_address_pairs: nic.pairs.map((ip_address) => ({ ip_address })) } : {}),
    },
  })).port.id);
}

export async function labUp(spec: LabSpec, client: NeutronClient, log: (m: string) => void): Promise<void> {
  const built = await createNetworksAndGroups(spec, client);
  log(`lab ${spec.name}: ${spec.networks.length} networks, ${spec.groups.length} groups`);
  buildExternals(spec, built.networks);
  for (const inst of spec.instances) {
    for (const [i, nic] of inst.ports.entries()) {
      const id = await createPort(client, built, inst, i);
      const port = (await client.call('GET', `ports/${id}`)).port;
      await portEnforced(inst.host, id);
      plugInstance(nodeNamespace(inst.host), inst.name, { ...port, addresses: [`${nic.ip}/${built.networks.get(nic.network)!.prefixlen}`] }, `eth${i}`);
    }
    const vm = instanceNamespace(inst.name);
    const dir = instanceDir(spec, inst.name);
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(inst.files)) writeFileSync(join(dir, file), content);
    // commands and processes run in the instance's directory, with $DIR naming it
    const env = { ...process.env, DIR: dir };
    for (const c of inst.commands) run(['sh', '-c', `cd "$DIR" && ${c}`], { ns: vm, env });
    for (const p of inst.services) await startService(vm, p, inst.name);
    for (const p of inst.processes) startProcess(vm, p, env);
    log(`instance ${inst.name} on ${inst.host}: ${inst.ports.map((p) => p.ip).join(', ')}${inst.services.length ? `, serving tcp/${inst.services.join(',')}` : ''}`);
  }
  await startExternals(spec);
}

/** Stops what `lab up` started in the namespace, then deletes it. */
function removeLabNamespace(ns: string): void {
  if (!namespaceExists(ns)) return;
  for (const pid of run(['ip', 'netns', 'pids', ns]).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
  deleteNamespace(ns);
}

export async function labDown(spec: LabSpec, client: NeutronClient, log: (m: string) => void): Promise<void> {
  for (const x of spec.externals) removeLabNamespace(externalNamespace(x.name));
  for (const inst of spec.instances) {
    removeLabNamespace(instanceNamespace(inst.name));
    for (const i of inst.ports.keys()) for (const id of await client.idsByName('ports', portName(inst.name, i))) await client.call('DELETE', `ports/${id}`);
  }
  for (const g of spec.groups) for (const id of await client.idsByName('security-groups', g.name)) await client.call('DELETE', `security-groups/${id}`);
  for (const n of spec.networks) for (const id of await client.idsByName('networks', n.name)) await client.call('DELETE', `networks/${id}`);
  const hosts = new Set([...spec.instances.map((i) => i.host), ...spec.externals.flatMap((x) => x.uplinks.map((u) => u.host))]);
  for (const host of hosts) removeComputeNode(host);
  // tunnels exist only between several nodes: then the underlay is this lab's
  if (hosts.size > 1) removeUnderlay();
  rmSync(join(tmpdir(), `portsec-lab-${spec.name}`), { recursive: true, force: true });
  log(`lab ${spec.name} removed`);
}
