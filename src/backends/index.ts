/** The firewall backends by name: what the agent and the CLI construct (see contract.ts). */
import { type Topology } from '../policy/topology.js';
import { NodeCompiler } from './iptables/node-compiler.js';

export const BACKENDS = {
  /** Neutron's iptables firewall drivers (linuxbridge, ovs_hybrid), with ipsets or without */
  iptables: (t: Topology, previousZones?: Map<string, number>) => new NodeCompiler(t, previousZones),
};

export type BackendName = keyof typeof BACKENDS;
export type Backend<N extends BackendName = BackendName> = ReturnType<(typeof BACKENDS)[N]>;

export function createBackend<N extends BackendName>(name: N, t: Topology): Backend<N> {
  return BACKENDS[name](t) as Backend<N>;
}
