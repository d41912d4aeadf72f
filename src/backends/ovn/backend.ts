/**
 * The OVN backend: the Northbound rows Neutron's ML2/OVN driver writes for a topology.
 * OVN enforces a port's ACLs wherever it is bound, so every port is local to it; after
 * an event the rows are those of the end topology written afresh (the only agent state:
 * the Northbound database is the state, and Neutron writes it on every API call).
 */
import { type FirewallBackend } from '../contract.js';
import { PolicyEngine } from '../../policy/engine.js';
import { type ParsedEvent } from '../../policy/events.js';
import { type HostPolicy } from '../../policy/ir.js';
import { type Topology, TopologyError } from '../../policy/topology.js';
import { renderRows } from './render.js';
import { type AddressSet, type Lsp, type NbRows, type PortGroup, sortedText } from './rows.js';

export const AGENT_STATES = ['ideal'] as const;

/** One table's change: the rows created or changed, whole as they are now, and the names of the rows deleted. */
export interface TableDelta<T> {
  set: T[];
  remove: string[];
}

/** What an event changes in the Northbound database, by table: applied to the rows before it, the rows after it. */
export interface NbDelta {
  address_sets: TableDelta<AddressSet>;
  logical_switch_ports: TableDelta<Lsp>;
  port_groups: TableDelta<PortGroup>;
}

function tableDelta<T extends { name: string }>(before: T[], after: T[]): TableDelta<T> {
  const old = new Map(before.map((r) => [r.name, JSON.stringify(r)]));
  const now = new Set(after.map((r) => r.name));
  return { set: after.filter((r) => old.get(r.name) !== JSON.stringify(r)), remove: sortedText([...old.keys()].filter((n) => !now.has(n))) };
}

const everyPortLocal = (t: Topology): Topology => ({ ...t, ports: t.ports.map((p) => ({ ...p, local: true })) });

export class OvnNorthbound implements FirewallBackend<NbRows, NbDelta> {
  readonly engine: PolicyEngine;
  private rows: NbRows;

  constructor(t: Topology) {
    // another backend's members (iptables' pairs) would make the IR beside these rows answer for a different cloud
    if (t.options.backend !== 'ovn') throw new TopologyError(`options: backend ${t.options.backend} is not OVN`);
    this.engine = new PolicyEngine(everyPortLocal(t));
    this.rows = renderRows(this.engine.topology);
  }

  get state(): NbRows {
    return this.rows;
  }

  get policy(): HostPolicy {
    return this.engine.policy();
  }

  apply(e: ParsedEvent): NbDelta {
    this.engine.apply(e.op === 'set_port' && e.port ? { ...e, port: { ...e.port, local: true } } : e);
    const before = this.rows;
    this.rows = renderRows(this.engine.topology);
    return {
      address_sets: tableDelta(before.address_sets, this.rows.address_sets),
      logical_switch_ports: tableDelta(before.logical_switch_ports, this.rows.logical_switch_ports),
      port_groups: tableDelta(before.port_groups, this.rows.port_groups),
    };
  }
}

export function createOvnNorthbound(t: Topology, agentState: string = 'ideal'): OvnNorthbound {
  if (agentState !== 'ideal') throw new Error(`unknown agent state ${JSON.stringify(agentState)} (${AGENT_STATES.join(', ')})`);
  return new OvnNorthbound(t);
}
