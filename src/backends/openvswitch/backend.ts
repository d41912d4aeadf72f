/**
 * The openvswitch backend as the registry builds it: one node's br-int flows as
 * Neutron 21's OVSFirewallDriver leaves them. It follows events as a fresh sync
 * of the topology after each (`ideal`); what the real agent keeps between its
 * loops (cookies of a port update, members it does not refresh) is not modelled.
 */
import { type FirewallBackend } from '../contract.js';
import { type ParsedEvent } from '../../policy/events.js';
import { PolicyEngine } from '../../policy/engine.js';
import { type HostPolicy } from '../../policy/ir.js';
import { type Topology, TopologyError } from '../../policy/topology.js';
import { type OvsdbFacts, topologyFacts } from './ovsdb.js';
import { renderFlows } from './render.js';

export const AGENT_STATES = ['ideal'] as const;

/** The node's flows, each as ovs_lib writes it for `ovs-ofctl add-flows` without the agent's cookie, sorted by table, priority (highest first), text. */
export interface OvsState {
  flows: string[];
  /** the agent's cookie, which `ovs-ofctl add-flows` input carries on every flow */
  cookie: number;
}

/** What one event changes on br-int: flows to add (or replace) and flows gone. */
export interface OvsDelta {
  add: string[];
  remove: string[];
}

/** The node's OVSDB facts for a topology: by default the golden harness's numbering of its ports and networks. */
export type FactsOf = (t: Topology) => OvsdbFacts;

export class OvsNode implements FirewallBackend<OvsState, OvsDelta> {
  readonly engine: PolicyEngine;
  private flows: string[];

  constructor(t: Topology, private readonly facts: FactsOf = topologyFacts) {
    if (t.options.backend !== 'openvswitch') throw new TopologyError(`options: backend ${t.options.backend} is not the openvswitch firewall (its members differ)`);
    this.engine = new PolicyEngine(t);
    this.flows = this.render();
  }

  private render(): string[] {
    return renderFlows(this.engine, this.facts(this.engine.topology));
  }

  get state(): OvsState {
    return { flows: this.flows, cookie: this.facts(this.engine.topology).cookie };
  }

  /** The IR as the engine keeps it: the OVS firewall adds nothing to it (its zones are the networks' VLANs, OVSDB's). */
  get policy(): HostPolicy {
    return this.engine.policy();
  }

  /** A fresh sync of the topology after the event, as the difference from before. */
  apply(e: ParsedEvent): OvsDelta {
    this.engine.apply(e);
    const before = new Set(this.flows);
    this.flows = this.render();
    const after = new Set(this.flows);
    return { add: this.flows.filter((f) => !before.has(f)), remove: [...before].filter((f) => !after.has(f)) };
  }
}

export function createOvsNode(t: Topology, agentState: string = 'ideal', facts?: FactsOf): OvsNode {
  if (agentState !== 'ideal') throw new Error(`unknown agent state ${JSON.stringify(agentState)} (${AGENT_STATES.join(', ')})`);
  return new OvsNode(t, facts);
}
