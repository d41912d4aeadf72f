/**
 * The agent of one compute node: compiles the node's policy from the store,
 * converges the kernel to it on start (whatever was there), then follows the
 * store's change log and applies each change's delta. Like Neutron's firewall
 * driver contract: prepare (start), update (sync), and removal of whatever the
 * node no longer needs.
 */
import { type Delta, iptablesPayload } from '../backends/iptables/delta.js';
import { type Backend, createBackend } from '../backends/index.js';
import { type ParsedEvent, parseEvent } from '../policy/events.js';
import { FAMILIES, type Family, type PortPolicy } from '../policy/ir.js';
import { type CompileOptions, parseTopology } from '../policy/topology.js';
import { type Store } from '../store/repository.js';
import { portInput, topologyForHost } from '../store/topology.js';
import { readChanges } from './changes.js';
import { createComputeNode, ensureBridge, ensureVxlan, joinUnderlay, nodeNamespace } from './compute-node.js';
import { closeNode, nodeDelta, nodeState } from './fail-closed.js';
import { deleteConnection, listConnections, revokedConnections } from './conntrack.js';
import { type IptablesBackend, kernelWriter } from './kernel.js';

/** Only chain rewrites and removed members or sets can take access away; added members cannot. */
const mayRevoke = (d: Delta): boolean => d.delMembers.size > 0 || d.destroySets.length > 0 || FAMILIES.some((f) => iptablesPayload(d, f) !== '');

export class Agent {
  readonly ns: string;
  private firewall!: Backend<'iptables'>;
  private seq = 0;
  /** what the bridges and tunnels were last built for */
  private plumbed = '';

  constructor(private readonly store: Store, readonly host: string, readonly backend: IptablesBackend = 'nft', private readonly options: Partial<CompileOptions> = {}) {
    this.ns = nodeNamespace(host);
  }

  /** Builds the node if needed, closed (see fail-closed.ts), and brings its kernel to the compiled state. */
  async start(): Promise<Delta> {
    closeNode(createComputeNode(this.host), this.backend);
    this.plumbed = '';
    // the node's tunnel address from the start, so that nodes already running see it when they next plumb
    await this.store.agents.tunnelAddress(this.host);
    const { seq, input } = await this.store.snapshot(async (tx) => ({ seq: await tx.changes.last(), input: await topologyForHost(tx, this.host) }));
    this.seq = seq;
    this.firewall = createBackend('iptables', parseTopology(input, this.options));
    return kernelWriter(this.backend).converge(this.ns, nodeState(this.firewall.state));
  }

  /** Applies every change logged since the last sync; returns the deltas it applied. */
  async sync(): Promise<Delta[]> {
    const read = await this.store.snapshot((tx) => readChanges(tx, this.seq));
    if (!read) return [];
    const { ports, groups, found } = read;
    this.seq = read.last;
    const events: ParsedEvent[] = this.groupEvents(groups);
    for (const id of ports) {
      const p = found.get(id);
      events.push(p ? parseEvent(this.firewall.engine.topology, { op: 'update_port', port: portInput(p, this.host) }) : { op: 'set_port', id, port: undefined });
    }
    const { engine } = this.firewall;
    const before = engine.localPolicies();
    const kernel = kernelWriter(this.backend);
    const deltas = events.map((e) => {
      const delta = this.firewall.apply(e);
      kernel.apply(this.ns, nodeDelta(delta));
      return delta;
    });
    if (deltas.some(mayRevoke)) this.cutRevoked(before);
    return deltas;
  }

  /** Ends the tracked connections the policy now in force no longer admits (see conntrack.ts). */
  private cutRevoked(before: PortPolicy[]): void {
    const { engine } = this.firewall;
    const policy = {
      ports: engine.localPolicies(), members: (g: string, f: Family) => engine.membersOf(g, f), enableIpset: engine.topology.options.enableIpset,
      zoneOf: (pp: PortPolicy) => this.firewall.zoneOf(pp),
    };
    for (const c of revokedConnections(listConnections(this.ns), before, policy)) deleteConnection(this.ns, c);
  }

  /**
   * The node's L2, as the linuxbridge agent builds it: a bridge for every network
   * with a port here and, when other nodes exist, a VXLAN device to them over the
   * underlay (tunnel addresses from the store). Rebuilt only when that changes.
   */
  async plumb(): Promise<void> {
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

  /** Of the groups read, those whose rules or statefulness differ from what the node compiled. */
  private groupEvents(inputs: Record<string, unknown>[]): ParsedEvent[] {
    const fresh = parseTopology({ security_groups: inputs }).groups;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return [...fresh.values()].filter((g) => !same(g, this.firewall.engine.topology.groups.get(g.id))).map((group) => ({ op: 'set_group', group }));
  }
}
