/**
 * What an agent runs on a node: a firewall backend, by name, paired with the
 * writer that loads its state into the node's kernel, or into memory (`model`:
 * no namespace, no root). Each backend's writers are listed here by the backend's
 * name (the registry of backends is backends/index.ts).
 */
import { type DeltaOf, type NodeWriter, type StateOf } from '../backends/contract.js';
import { type Backend, type BackendName, createBackend, DEFAULT_BACKEND } from '../backends/index.js';
import { type Topology } from '../policy/topology.js';
import { type IptablesBackend } from './iptables/tools.js';
import { iptablesWriter } from './iptables/writer.js';
import { memoryWriter } from './memory/writer.js';

type WriterOf<N extends BackendName> = NodeWriter<StateOf<Backend<N>>, DeltaOf<Backend<N>>, Backend<N>>;

/**
 * Each backend's writers: into a node's kernel (the iptables one with one flavour of the tools, nft or legacy), or
 * into memory. A backend without them (openvswitch) is rendered by `portsec compile` only.
 */
const WRITERS = {
  iptables: { kernel: iptablesWriter, model: memoryWriter },
} satisfies { [N in BackendName]?: { kernel: (tools: IptablesBackend) => WriterOf<N>; model: () => WriterOf<N> } };

/** The backends an agent can run: those with writers. */
export type PlaneName = keyof typeof WRITERS;

export interface DataPlane {
  name: PlaneName;
  create(t: Topology): Backend<PlaneName>;
  writer: NodeWriter<StateOf<Backend<PlaneName>>, DeltaOf<Backend<PlaneName>>, Backend<PlaneName>>;
  /** whether nodes are network namespaces (built, plumbed, rebuilt when gone) or only the writer's memory */
  kernel: boolean;
}

export interface PlaneOptions {
  /** where the writer loads the state: a node's kernel with these tools, or memory */
  nodes?: IptablesBackend | 'model';
  /** how the backend follows events (backends/index.ts); the registry's default when absent */
  agentState?: string;
}

export function dataPlane(name: PlaneName = DEFAULT_BACKEND, { nodes = 'nft', agentState }: PlaneOptions = {}): DataPlane {
  const create = (t: Topology) => createBackend(name, t, agentState);
  return nodes === 'model'
    ? { name, create, writer: WRITERS[name].model(), kernel: false }
    : { name, create, writer: WRITERS[name].kernel(nodes), kernel: true };
}
