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
 * Each backend's writers: into a node's kernel (the iptables one with one flavour of the tools, nft or legacy), or into memory.
 * OVN has none: ovn-northd and ovn-controller enforce its Northbound rows, not a portsec agent.
 */
const WRITERS: { [N in BackendName]?: { kernel: (tools: IptablesBackend) => WriterOf<N>; model: () => WriterOf<N> } } = {
  iptables: { kernel: iptablesWriter, model: memoryWriter },
};

export interface DataPlane {
  name: BackendName;
  create(t: Topology): Backend;
  writer: NodeWriter<StateOf<Backend>, DeltaOf<Backend>, Backend>;
  /** whether nodes are network namespaces (built, plumbed, rebuilt when gone) or only the writer's memory */
  kernel: boolean;
}

export interface PlaneOptions {
  /** where the writer loads the state: a node's kernel with these tools, or memory */
  nodes?: IptablesBackend | 'model';
  /** how the backend follows events (backends/index.ts); the registry's default when absent */
  agentState?: string;
}

export function dataPlane(name: BackendName = DEFAULT_BACKEND, { nodes = 'nft', agentState }: PlaneOptions = {}): DataPlane {
  const create = (t: Topology) => createBackend(name, t, agentState);
  const writers = WRITERS[name];
  if (!writers) throw new Error(`the ${name} backend has no data plane of portsec's`);
  return nodes === 'model'
    ? { name, create, writer: writers.model(), kernel: false }
    : { name, create, writer: writers.kernel(nodes), kernel: true };
}
