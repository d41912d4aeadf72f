/**
 * A compute node as a network namespace (ps-cn-<host>): one Linux bridge per
 * network, named as Neutron's linuxbridge agent names it, with br_netfilter on
 * so bridged traffic crosses iptables; an instance is a namespace (ps-vm-<name>)
 * joined by a veth whose compute-node end is the port's tap device.
 */
import { parseCidr } from '../model/addresses.js';
import { run } from './exec.js';
import { createNamespace, deleteNamespace } from './netns.js';

export const nodeNamespace = (host: string) => `ps-cn-${host}`;
export const instanceNamespace = (name: string) => `ps-vm-${name}`;
export const bridgeName = (networkId: string) => `brq${networkId}`.slice(0, 14);
export const tapName = (portId: string) => `tap${portId}`.slice(0, 14);

export interface PortPlug {
  id: string;
  network_id: string;
  mac_address: string;
  /** host addresses with their subnet's prefix length, e.g. 10.1.1.11/24 */
  addresses: string[];
}

export function createComputeNode(host: string): string {
  const ns = nodeNamespace(host);
  createNamespace(ns);
  // bridged IPv4/IPv6 must traverse iptables for the physdev rules to see it (per namespace)
  run(['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1'], { ns });
  return ns;
}

export function ensureBridge(ns: string, networkId: string): string {
  const br = bridgeName(networkId);
  const exists = run(['ip', '-o', 'link', 'show'], { ns }).split('\n').some((l) => l.split(': ')[1]?.split('@')[0] === br);
  if (!exists) run(['ip', 'link', 'add', br, 'type', 'bridge'], { ns });
  run(['ip', 'link', 'set', br, 'up'], { ns });
  return br;
}

/** Creates the instance namespace and plugs its eth0 into the network's bridge through the port's tap. */
export function plugInstance(nodeNs: string, name: string, port: PortPlug): string {
  const vm = instanceNamespace(name);
  createNamespace(vm);
  const br = ensureBridge(nodeNs, port.network_id);
  const tap = tapName(port.id);
  run(['ip', 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm], { ns: nodeNs });
  run(['ip', 'link', 'set', tap, 'master', br, 'up'], { ns: nodeNs });
  run(['ip', 'link', 'set', 'eth0', 'address', port.mac_address], { ns: vm });
  for (const a of port.addresses) {
    const c = parseCidr(a)!;
    run(['ip', c.family === 4 ? '-4' : '-6', 'addr', 'add', a, 'dev', 'eth0', ...(c.family === 6 ? ['nodad'] : [])], { ns: vm });
  }
  run(['ip', 'link', 'set', 'eth0', 'up'], { ns: vm });
  return vm;
}

export function removeInstance(name: string): void {
  deleteNamespace(instanceNamespace(name));
}

export function removeComputeNode(host: string): void {
  deleteNamespace(nodeNamespace(host));
}
