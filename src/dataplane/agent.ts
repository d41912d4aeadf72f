/**
 * The agent of one compute node: compiles the node's policy from the store,
 * converges the kernel to it on start (whatever was there), then follows the
 * store's change log and applies each change's delta. Like Neutron's firewall
 * driver contract: prepare (start), update (sync), and removal of whatever the
 * node no longer needs.
 */
import { type Delta } from '../backends/iptables/delta.js';
import { NodeCompiler } from '../backends/iptables/node-compiler.js';
import { applyEvent, type ParsedEvent, parseEvent } from '../policy/events.js';
import { parseTopology, type Topology } from '../policy/topology.js';
import { type Store } from '../store/store.js';
import { groupInputs, portInput, topologyForHost } from '../store/topology.js';
import { createComputeNode, nodeNamespace } from './compute-node.js';
import { applyDelta, converge, type IptablesBackend } from './kernel.js';

export class Agent {
  readonly ns: string;
  private topology!: Topology;
  private compiler!: NodeCompiler;
  private seq = 0;

  constructor(private readonly store: Store, readonly host: string, readonly backend: IptablesBackend = 'nft') {
    this.ns = nodeNamespace(host);
  }

  /** Builds the node if needed and brings its kernel to the compiled state. */
  start(): Delta {
    createComputeNode(this.host);
    this.seq = this.store.lastChange();
    this.topology = parseTopology(topologyForHost(this.store, this.host));
    this.compiler = new NodeCompiler(this.topology);
    return converge(this.ns, this.backend, this.compiler.state);
  }

  /** Applies every change logged since the last sync; returns the deltas it applied. */
  sync(): Delta[] {
    const changes = this.store.changesSince(this.seq);
    if (!changes.length) return [];
    this.seq = changes[changes.length - 1].seq;
    const events: ParsedEvent[] = [];
    const ports = new Set(changes.filter((c) => c.resource === 'port').map((c) => c.resource_id));
    if (changes.some((c) => c.resource === 'security_group' || c.resource === 'security_group_rule')) events.push(...this.groupEvents());
    for (const id of ports) {
      const p = this.store.port(id);
      events.push(p ? parseEvent(this.topology, { op: 'update_port', port: portInput(p, this.host) }) : { op: 'set_port', id, port: undefined });
    }
    return events.map((e) => {
      this.topology = applyEvent(this.topology, e);
      const delta = this.compiler.apply(e);
      applyDelta(this.ns, this.backend, delta);
      return delta;
    });
  }

  /** Groups whose rules or statefulness differ from what the node compiled. */
  private groupEvents(): ParsedEvent[] {
    const fresh = parseTopology({ security_groups: groupInputs(this.store) }).groups;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    return [...fresh.values()].filter((g) => !same(g, this.topology.groups.get(g.id))).map((group) => ({ op: 'set_group', group }));
  }
}
