/**
 * What a firewall backend does for one compute node, after Neutron's
 * FirewallDriver (prepare/update/remove_port_filter, update_security_group_rules
 * and _members): the policy engine (policy/engine.ts) keeps the IR and says what
 * each event changed; a backend renders the whole IR, or one event's changes, into
 * its own state and deltas, and owns its naming and spelling. The agent and the
 * CLI go through this contract only, reaching a backend by its name in the
 * registry (index.ts); iptables (backends/iptables) is the first.
 */
import { type PolicyEngine } from '../policy/engine.js';
import { type ParsedEvent } from '../policy/events.js';
import { type HostPolicy, type PortPolicy } from '../policy/ir.js';
import { type Topology } from '../policy/topology.js';

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

/** The state and the deltas a backend works in. */
export type StateOf<B extends FirewallBackend<unknown, unknown>> = B['state'];
export type DeltaOf<B extends FirewallBackend<unknown, unknown>> = ReturnType<B['apply']>;

/** One way `portsec compile --format` prints a node: what it is, and the writer (output may go out in pieces as it renders). */
export interface OutputFormat<B> {
  help: string;
  write(backend: B, print: (text: string) => void): void;
}

/** A backend as the registry (index.ts) lists it. */
export interface BackendEntry<B extends FirewallBackend<unknown, unknown>> {
  /**
   * How the backend may follow events, the default first: what a real agent keeps between its
   * loops (for iptables, `neutron-21`), or `ideal`, a fresh sync of the topology after each.
   */
  agentStates: readonly string[];
  /** the backend of one node's topology, following events as `agentState` says (default: `ideal`) */
  create(t: Topology, agentState?: string): B;
  /**
   * The protocol number a rule's protocol (as the API spells it) matches once rendered, or null
   * for every protocol: what the analyzer follows, so that it answers for what the nodes enforce.
   */
  matchedProtocol(protocol: string | null): number | null;
  /** `portsec compile`'s output formats, the default first */
  formats: Record<string, OutputFormat<B>>;
  /** one line on what a delta changes (`portsec agent` prints it per change) */
  summary(delta: DeltaOf<B>): string;
}

/**
 * How a backend's state reaches a node's kernel; the data plane implements it
 * (dataplane/iptables/writer.ts for iptables) and pairs it with its backend by
 * name (dataplane/planes.ts).
 */
export interface NodeWriter<State, Delta, B = FirewallBackend<State, Delta>> {
  /** takes the node before any state is written (the iptables writer closes it: nothing forwarded until the chains say so) */
  take(node: string): void;
  /** applies one delta to the node */
  apply(node: string, delta: Delta): void;
  /** what the node holds now */
  readBack(node: string): State;
  /** reads the node back and brings it to `desired`, whatever was there; returns what it changed */
  converge(node: string, desired: State): Delta;
  /**
   * After the deltas of one sync are applied (`before`: the local ports' policies before them):
   * what the node still has to do that its state does not say — the iptables writer ends the
   * tracked connections the policy no longer admits.
   */
  settle?(node: string, backend: B, before: readonly PortPolicy[], deltas: readonly Delta[]): void;
}
