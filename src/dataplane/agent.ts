/**
 * The agent of one compute node: compiles the node's policy from the store,
 * converges the kernel to it on start (whatever was there), then follows the
 * store's change log and applies each change's delta. Like Neutron's firewall
 * driver contract: prepare (start), update (sync), and removal of whatever the
 * node no longer needs. It knows a backend only through the contract
 * (backends/contract.ts): the data plane it is given pairs one with its writer.
 */
import { type DeltaOf } from '../backends/contract.js';
import { type Backend } from '../backends/index.js';
import { type HostPolicy } from '../policy/ir.js';
import { type ParsedEvent, parseEvent } from '../policy/events.js';
import { type CompileOptions, parseTopology } from '../policy/topology.js';
import { type Store } from '../store/repository.js';
import { portInput, topologyForHost } from '../store/topology.js';
import { readChanges } from './changes.js';
import { createComputeNode, ensureBridge, ensureVxlan, joinUnderlay, nodeNamespace } from './compute-node.js';
import { type DataPlane, dataPlane, type PlaneName } from './planes.js';

export class Agent {
  readonly ns: string;
  private firewall!: Backend<PlaneName>;
  private seq = 0;
  /** how many times the node was (re)built: a rebuilt node starts from a fresh sync */
  private starts = 0;
  /** what the bridges and tunnels were last built for */
  private plumbed = '';

  constructor(private readonly store: Store, readonly host: string, readonly plane: DataPlane = dataPlane(), private readonly options: Partial<CompileOptions> = {}) {
    this.ns = nodeNamespace(host);
  }

  /** Builds the node if needed, lets the writer take it (iptables: closed, see fail-closed.ts), and brings its kernel to the compiled state. */
  async start(): Promise<DeltaOf<Backend<PlaneName>>> {
    this.plane.writer.take(this.plane.kernel ? createComputeNode(this.host) : this.ns);
    this.plumbed = '';
    // the node's tunnel address from the start, so that nodes already running see it when they next plumb
    await this.store.agents.tunnelAddress(this.host);
    const { seq, input } = await this.store.snapshot(async (tx) => ({ seq: await tx.changes.last(), input: await topologyForHost(tx, this.host) }));
    this.seq = seq;
    this.starts++;
    this.firewall = this.plane.create(parseTopology(input, this.options));
    return this.plane.writer.converge(this.ns, this.firewall.state);
  }

  /** Applies every change logged since the last sync; returns the deltas it applied. */
  async sync(): Promise<DeltaOf<Backend<PlaneName>>[]> {
    const read = await this.store.snapshot((tx) => readChanges(tx, this.seq));
    if (!read) return [];
    const { ports, groups, found } = read;
    this.seq = read.last;
    const events: ParsedEvent[] = this.groupEvents(groups);
    for (const id of ports) {
      const p = found.get(id);
      events.push(p ? parseEvent(this.firewall.engine.topology, { op: 'update_port', port: portInput(p, this.host) }) : { op: 'set_port', id, port: undefined });
    }
    const { writer } = this.plane;
    const before = this.firewall.engine.localPolicies();
    const deltas = events.map((e) => {
      const delta = this.firewall.apply(e);
      writer.apply(this.ns, delta);
      return delta;
    });
    writer.settle?.(this.ns, this.firewall, before, deltas);
    return deltas;
  }

  /**
   * The node's L2, as the linuxbridge agent builds it: a bridge for every network
   * with a port here and, when other nodes exist, a VXLAN device to them over the
   * underlay (tunnel addresses from the store). Rebuilt only when that changes.
   */
  async plumb(): Promise<void> {
    if (!this.plane.kernel) return;
    const own = await this.store.agents.tunnelAddress(this.host);
    const peers = [...await this.store.agents.tunnelAddresses()].filter(([h]) => h !== this.host).map(([, ip]) => ip).sort();
    const networks = [...new Set((await this.store.ports.list({ where: { host_id: [this.host] } })).map((p) => p.network_id))].sort();
    const signature = JSON.stringify([networks, peers]);
    if (signature === this.plumbed) return;
    this.plumbed = signature;
    if (!networks.length) return;
    if (peers.length) joinUnderlay(this.ns, this.host, `${own}/16`);
    const found = new Map((await this.store.networks.list({ where: { id: networks } })).map((n) => [n.id, n]));
    for (const id of networks) {
      const network = found.get(id);
      if (!network) continue;
      if (peers.length) ensureVxlan(this.ns, id, network.segmentation_id, own, peers);
      else ensureBridge(this.ns, id);
    }
  }

  /** The store's last change the node follows. */
  get change(): number {
    return this.seq;
  }

  /** What the node's state follows from: its builds and the last change applied (the same twice, the same state). */
  get version(): string {
    return `${this.starts}.${this.seq}`;
  }

  /** The IR the node enforces, as its backend holds it (with `--agent-state neutron-21`, what Neutron's agent would keep). */
  get policy(): HostPolicy {
    return this.firewall.policy;
  }

  /** Of the groups read, those whose rules or statefulness differ from what the node compiled. */
  private groupEvents(inputs: Record<string, unknown>[]): ParsedEvent[] {
    const fresh = parseTopology({ security_groups: inputs }).groups;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return [...fresh.values()].filter((g) => !same(g, this.firewall.engine.topology.groups.get(g.id))).map((group) => ({ op: 'set_group', group }));
  }
}
