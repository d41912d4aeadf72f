/**
 * What an agent runs on a node: a firewall backend, by name, paired with the
 * writer that loads its state into the node's kernel. Each backend's writer is
 * listed here by the backend's name (the registry of backends is backends/index.ts).
 */
import { type DeltaOf, type NodeWriter, type StateOf } from '../backends/contract.js';
import { type Backend, type BackendName, createBackend, DEFAULT_BACKEND } from '../backends/index.js';
import { type Topology } from '../policy/topology.js';
import { type IptablesBackend } from './iptables/tools.js';
import { iptablesWriter } from './iptables/writer.js';

/** Each backend's writer; the iptables one loads with one flavour of the tools (nft or legacy). */
const WRITERS: { [N in BackendName]: (tools: IptablesBackend) => NodeWriter<StateOf<Backend<N>>, DeltaOf<Backend<N>>, Backend<N>> } = {
  iptables: iptablesWriter,
};

export interface DataPlane {
  name: BackendName;
  create(t: Topology): Backend;
  writer: NodeWriter<StateOf<Backend>, DeltaOf<Backend>, Backend>;
}

export function dataPlane(name: BackendName = DEFAULT_BACKEND, tools: IptablesBackend = 'nft'): DataPlane {
  return { name, create: (t) => createBackend(name, t), writer: WRITERS[name](tools) };
}
