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
import { type NbRows, sortedText } from './rows.js';

export const AGENT_STATES = ['ideal'] as const;

/** The rows an event created, changed or deleted, by table and name. */
export interface NbDelta {
  logical_switch_ports: string[];
  port_groups: string[];
}

function changedNames<T extends { name: string }>(before: T[], after: T[]): string[] {
  const old = new Map(before.map((r) => [r.name, JSON.stringify(r)]));
  const names = new Set<string>();
  for (const r of after) if (old.get(r.name) !== JSON.stringify(r)) names.add(r.name);
  const now = new Set(after.map((r) => r.name));
  for (const name of old.keys()) if (!now.has(name)) names.add(name);
  return sortedText(names);
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
      logical_switch_ports: changedNames(before.logical_switch_ports, this.rows.logical_switch_ports),
      port_groups: changedNames(before.port_groups, this.rows.port_groups),
    };
  }
}

export function createOvnNorthbound(t: Topology, agentState: string = 'ideal'): OvnNorthbound {
  if (agentState !== 'ideal') throw new Error(`unknown agent state ${JSON.stringify(agentState)} (${AGENT_STATES.join(', ')})`);
  return new OvnNorthbound(t);
}
