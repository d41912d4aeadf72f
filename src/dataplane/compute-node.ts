/**
 * A compute node as a network namespace (ps-cn-<host>): one Linux bridge per
 * network, named as Neutron's linuxbridge agent names it, with br_netfilter on
 * so bridged traffic crosses iptables; an instance is a namespace (ps-vm-<name>)
 * joined by a veth whose compute-node end is the port's tap device.
 */
import { bridgeName, tapName } from '../backends/iptables/naming.js';
import { parseCidr } from '../model/addresses.js';
import { run } from './exec.js';
import { createNamespace, deleteNamespace, namespaceExists } from './netns.js';

export const nodeNamespace = (host: string) => `ps-cn-${host}`;
/** the underlay every compute node's VXLAN tunnels cross: one namespace per cloud (PORTSEC_UNDERLAY names another) */
export const underlayNamespace = () => process.env.PORTSEC_UNDERLAY ?? 'ps-underlay';
const UNDERLAY_BRIDGE = 'br-underlay';
const VXLAN_PORT = 4789;
export const instanceNamespace = (name: string) => `ps-vm-${name}`;

export interface PortPlug {
  id: string;
  network_id: string;
  mac_address: string;
  /** host addresses with their subnet's prefix length, e.g. 10.1.1.11/24 */
  addresses: string[];
  /** the network's MTU (1450 on VXLAN), as DHCP would tell the instance */
  mtu?: number;
}

/** The node's namespace with br_netfilter on; its FORWARD chain stays open until its agent closes it (fail-closed.ts) with its backend. */
export function createComputeNode(host: string): string {
  const ns = nodeNamespace(host);
  createNamespace(ns);
  // bridged IPv4/IPv6 must traverse iptables for the physdev rules to see it (per namespace)
  run(['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1'], { ns });
  return ns;
}

const linkExists = (ns: string, name: string) =>
  run(['ip', '-o', 'link', 'show'], { ns }).split('\n').some((l) => l.split(': ')[1]?.split('@')[0] === name);

export function ensureBridge(ns: string, networkId: string): string {
  const br = bridgeName(networkId);
  try {
    if (!linkExists(ns, br)) run(['ip', 'link', 'add', br, 'type', 'bridge'], { ns });
  } catch (e) {
    // the agent and `lab up` (plugging an instance or an uplink) may both be first
    if (!linkExists(ns, br)) throw e;
  }
  run(['ip', 'link', 'set', br, 'up'], { ns });
  return br;
}

/**
 * Joins the node to the underlay: a veth into the underlay namespace's bridge,
 * with the node's tunnel address (underlay addresses exist only in namespaces).
 */
export function joinUnderlay(nodeNs: string, host: string, address: string): void {
  const underlay = underlayNamespace();
  if (!namespaceExists(underlay)) {
    createNamespace(underlay);
    run(['ip', 'link', 'add', UNDERLAY_BRIDGE, 'type', 'bridge'], { ns: underlay });
    run(['ip', 'link', 'set', UNDERLAY_BRIDGE, 'up'], { ns: underlay });
  }
  if (linkExists(nodeNs, 'underlay0')) return;
  const peer = `ul-${host}`.slice(0, 15);
  run(['ip', 'link', 'add', 'underlay0', 'type', 'veth', 'peer', 'name', peer, 'netns', underlay], { ns: nodeNs });
  run(['ip', 'link', 'set', peer, 'master', UNDERLAY_BRIDGE, 'up'], { ns: underlay });
  run(['ip', 'addr', 'add', address, 'dev', 'underlay0'], { ns: nodeNs });
  run(['ip', 'link', 'set', 'underlay0', 'up'], { ns: nodeNs });
}

/**
 * Extends a network's bridge to other nodes as the linuxbridge agent does: a
 * vxlan-<VNI> device on the bridge, flooding to every peer's tunnel address.
 */
export function ensureVxlan(nodeNs: string, networkId: string, vni: number, local: string, peers: string[]): void {
  const dev = `vxlan-${vni}`;
  const br = ensureBridge(nodeNs, networkId);
  if (!linkExists(nodeNs, dev)) {
    run(['ip', 'link', 'add', dev, 'type', 'vxlan', 'id', String(vni), 'dstport', String(VXLAN_PORT), 'local', local.split('/')[0]], { ns: nodeNs });
    run(['ip', 'link', 'set', dev, 'master', br, 'up'], { ns: nodeNs });
  }
  const flood = run(['bridge', 'fdb', 'show', 'dev', dev], { ns: nodeNs });
  for (const peer of peers) {
    if (!flood.includes(`dst ${peer} `)) run(['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', dev, 'dst', peer], { ns: nodeNs });
  }
}

/** Creates the instance namespace (if new) and plugs `ifname` into the network's bridge through the port's tap. */
export function plugInstance(nodeNs: string, name: string, port: PortPlug, ifname = 'eth0'): string {
  const vm = instanceNamespace(name);
  createNamespace(vm);
  const br = ensureBridge(nodeNs, port.network_id);
  const tap = tapName(port.id);
  run(['ip', 'link', 'add', tap, 'type', 'veth', 'peer', 'name', ifname, 'netns', vm], { ns: nodeNs });
  const mtu = String(port.mtu ?? 1450);
  run(['ip', 'link', 'set', tap, 'mtu', mtu, 'master', br, 'up'], { ns: nodeNs });
  run(['ip', 'link', 'set', ifname, 'address', port.mac_address, 'mtu', mtu], { ns: vm });
  for (const a of port.addresses) {
    const c = parseCidr(a)!;
    run(['ip', c.family === 4 ? '-4' : '-6', 'addr', 'add', a, 'dev', ifname, ...(c.family === 6 ? ['nodad'] : [])], { ns: vm });
  }
  run(['ip', 'link', 'set', ifname, 'up'], { ns: vm });
  return vm;
}

export function removeInstance(name: string): void {
  deleteNamespace(instanceNamespace(name));
}

export function removeComputeNode(host: string): void {
  deleteNamespace(nodeNamespace(host));
}

export function removeUnderlay(): void {
  deleteNamespace(underlayNamespace());
}
