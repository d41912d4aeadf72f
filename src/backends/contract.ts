/**
 * What a firewall backend does for one compute node, after Neutron's
 * FirewallDriver (prepare/update/remove_port_filter, update_security_group_rules
 * and _members): the policy engine (policy/engine.ts) keeps the IR and says what
 * each event changed; a backend renders the whole IR, or one event's changes, into
 * its own state and deltas, and owns its naming and spelling. The agent and the
 * CLI go through this contract only; iptables (backends/iptables) is the first.
 */
import { type PolicyEngine } from '../policy/engine.js';
import { type ParsedEvent } from '../policy/events.js';
import { type HostPolicy } from '../policy/ir.js';

export interface FirewallBackend<State, Delta> {
  /** the IR the backend renders */
  readonly engine: PolicyEngine;
  /** the node's whole state, rendered from the IR */
  readonly state: State;
  /** the IR as this backend completes it (conntrack zones, for iptables) */
  readonly policy: HostPolicy;
  /**
   * Follows one event: the engine's IR changes, rendered as what the node must do.
   * It takes the event, not the changes, because a backend that keeps no rendered
   * state (iptables renders chains when read) renders the touched ports before the
   * change too: between the engine's plan (what the event touches) and commit.
   */
  apply(e: ParsedEvent): Delta;
}

/**
 * How a backend's state reaches a node's kernel; the data plane implements it
 * (dataplane/kernel.ts for iptables).
 */
export interface NodeWriter<State, Delta> {
  /** applies one delta to the node */
  apply(node: string, delta: Delta): void;
  /** what the node holds now */
  readBack(node: string): State;
  /** reads the node back and brings it to `desired`, whatever was there; returns what it changed */
  converge(node: string, desired: State): Delta;
}
