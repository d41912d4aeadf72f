/**
 * One conformance suite for every firewall backend (issue 12 §3, issue 14), after Hono's
 * shared router suite: a backend's entry files call backendSuite with its backend under
 * test — its golden fixtures, how their stored state reads against its rendered state,
 * what applying one of its deltas means, its dataplane — and the cases it skips, each
 * with a reason. The cases that need root (kernels in ps- namespaces) register only in
 * `*.root.test.ts` files, which needs-root.ts makes fail without root, the rest only in
 * the backend's plain entry file: the calling file's name decides, so a root case cannot
 * end up where no root check guards it. A case's part may be the backend's: "analyzer vs
 * dataplane" needs root for iptables (kernels in namespaces), none for openvswitch and ovn
 * (ovs-vswitchd's dummy datapath, ovn-trace). A skip entry naming no case fails the file: a
 * renamed case cannot leave a stale skip that silently stops applying; so does a case
 * the backend neither implements nor skips.
 */
import { test } from 'vitest';
import { getCurrentSuite } from 'vitest/suite';
import { type DeltaOf, type FirewallBackend, type StateOf } from '../../src/backends/contract.js';
import { type NeutronBackend } from '../../src/policy/neutron-backends.js';
import { type Topology } from '../../src/policy/topology.js';
import { ROOT_SUITE_SUFFIX } from '../support/root-suites.js';
import { agentSteps } from './agent-steps.js';
import { dataplaneLoad, type PlaneLoad } from './dataplane-load.js';
import { engineIrChanges } from './engine.js';
import { goldenEvents, goldenFullCompile } from './golden.js';
import { incremental } from './incremental.js';

/** a backend of any state and delta: the suite handles them only through its backend under test */
export type AnyBackend = FirewallBackend<any, any>;

export type Part = 'unit' | 'root';

/** A case only the backend's own dataplane can run (its kernel, its switch): the part that runs it and how it registers. */
export interface PlaneCase<B extends AnyBackend> {
  part: Part;
  register: (b: BackendUnderTest<B>) => void;
}

export interface BackendUnderTest<B extends AnyBackend = AnyBackend> {
  name: string;
  /** its golden fixtures' folder under test/fixtures (made by Neutron's own driver, test/golden) */
  fixtures: string;
  /** the Neutron firewall drivers this backend renders (the fixtures' options, parsed); fixtures of others are listed as skipped */
  firewalls: readonly NeutronBackend[];
  /**
   * builds the backend for one node's topology; `after`: a node that followed events, whose agent
   * state (iptables' conntrack zones) a fresh sync of the same node keeps
   */
  create: (t: Topology, after?: B) => B;
  /**
   * whether a node that followed events to the topology equals a fresh sync of it (`create(t, node)`),
   * when not always: for iptables only while a port is local
   */
  freshSyncMatches?: (t: Topology) => boolean;
  /** builds the backend as it models Neutron's agent following events (the "agent steps" case) */
  agent?: (t: Topology) => B;
  /** the rendered state as the fixtures store it (`initial`, `final`) */
  stored: (s: StateOf<B>) => unknown;
  /** what one of its deltas means: the state before it, changed as the node (or database) changes on applying it */
  applyDelta: (before: StateOf<B>, d: DeltaOf<B>) => StateOf<B>;
  /** the "dataplane load" case: every fixture's states loaded into the real dataplane, which must hold them */
  dataplane?: PlaneLoad<B>;
  /** the "analyzer vs dataplane" case: can-reach's verdicts against what the real dataplane delivers */
  analyzerVsDataplane?: PlaneCase<B>;
  skip: readonly { case: string; reason: string }[];
}

/** The cases by name, the part that runs them for a backend and the function registering their tests (undefined: the backend has none). */
const CASES: Record<string, (b: BackendUnderTest) => PlaneCase<AnyBackend> | undefined> = {
  'golden full compile': () => ({ part: 'unit', register: goldenFullCompile }),
  'golden events': () => ({ part: 'unit', register: goldenEvents }),
  'incremental random changes': () => ({ part: 'unit', register: incremental }),
  'engine IR changes': () => ({ part: 'unit', register: engineIrChanges }),
  'agent steps': (b) => (b.agent ? { part: 'unit', register: agentSteps } : undefined),
  'dataplane load': (b) => b.dataplane && { part: b.dataplane.part, register: dataplaneLoad },
  'analyzer vs dataplane': (b) => b.analyzerVsDataplane,
};

export function backendSuite<B extends AnyBackend>(backend: BackendUnderTest<B>): void {
  const b = backend as unknown as BackendUnderTest;
  const suite = getCurrentSuite();
  const part: Part = suite.file.filepath.endsWith(ROOT_SUITE_SUFFIX) ? 'root' : 'unit';
  const unknown = b.skip.filter((s) => !(s.case in CASES));
  if (unknown.length) throw new Error(`${b.name}: skip entries name no case: ${unknown.map((s) => JSON.stringify(s.case)).join(', ')} (cases: ${Object.keys(CASES).join(', ')})`);
  const noReason = b.skip.filter((s) => !s.reason.trim());
  if (noReason.length) throw new Error(`${b.name}: skip entries without a reason: ${noReason.map((s) => s.case).join(', ')}`);
  for (const [name, caseOf] of Object.entries(CASES)) {
    const c = caseOf(b);
    const skipped = b.skip.find((s) => s.case === name);
    if (c && skipped) throw new Error(`${b.name}: case "${name}" is both implemented and skipped`);
    if (!c && !skipped) throw new Error(`${b.name}: case "${name}" has no implementation: give one, or skip it with a reason`);
    // listed, not silent: the report shows the skipped case with its reason (in the plain file: it needs no root to say so)
    if (skipped) {
      if (part === 'unit') test.skip(`${b.name}: ${name} (skipped: ${skipped.reason})`, () => {});
    } else if (c!.part === part) c!.register(b);
  }
}
