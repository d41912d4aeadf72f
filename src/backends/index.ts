/** The firewall backends by name: what the agent, the CLI and the analyzer reach them by (see contract.ts). */
import { type BackendEntry } from './contract.js';
import { FORMATS, summary } from './iptables/formats.js';
import { NodeCompiler } from './iptables/node-compiler.js';
import { matchedProtocol } from './iptables/rule-args.js';
import { type Topology } from '../policy/topology.js';

export const BACKENDS = {
  /** Neutron's iptables firewall drivers (linuxbridge, ovs_hybrid), with ipsets or without; `previousZones`: the agent's, kept across compiles */
  iptables: {
    create: (t: Topology, previousZones?: Map<string, number>) => new NodeCompiler(t, previousZones),
    matchedProtocol,
    formats: FORMATS,
    summary,
  } satisfies BackendEntry<NodeCompiler>,
};

export type BackendName = keyof typeof BACKENDS;
export type Backend<N extends BackendName = BackendName> = ReturnType<(typeof BACKENDS)[N]['create']>;

/** The backend the agents run: the one whose enforcement the analyzer answers for. */
export const DEFAULT_BACKEND = 'iptables' satisfies BackendName;

export function createBackend<N extends BackendName>(name: N, t: Topology): Backend<N> {
  return BACKENDS[name].create(t) as Backend<N>;
}
