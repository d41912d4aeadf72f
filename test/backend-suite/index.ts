/**
 * One conformance suite for every firewall backend (issue 12 §3), after Hono's
 * shared router suite: a backend's entry files call backendSuite with its factory
 * and the cases it skips, each with a reason. The cases that need root (kernels in
 * ps- namespaces) register only in `*.root.test.ts` files, which needs-root.ts makes
 * fail without root, the rest only in the backend's plain entry file: the calling
 * file's name decides, so a root case cannot end up where no root check guards it.
 * A skip entry naming no case fails the file: a renamed case cannot leave a stale
 * skip that silently stops applying.
 */
import { test } from 'vitest';
import { getCurrentSuite } from 'vitest/suite';
import { type Backend } from '../../src/backends/index.js';
import { type Driver, type Topology } from '../../src/policy/topology.js';
import { agentSteps } from './agent-steps.js';
import { ROOT_SUITE_SUFFIX } from '../support/root-suites.js';
import { analyzerVsKernel } from './analyzer-vs-kernel.js';
import { engineIrChanges } from './engine.js';
import { goldenEvents, goldenFullCompile } from './golden.js';
import { incremental } from './incremental.js';
import { kernelLoad } from './kernel-load.js';

export interface BackendUnderTest {
  name: string;
  /** builds the backend for one node's topology; `previousZones` are the agent's conntrack zones kept across compiles */
  create: (t: Topology, previousZones?: Map<string, number>) => Backend<'iptables'>;
  /** builds the backend as it models Neutron's agent following events (the "agent steps" case) */
  agent?: (t: Topology) => Backend<'iptables'>;
  /** the Neutron drivers (the fixtures' options.driver) this backend renders; fixtures of others are listed as skipped */
  drivers: readonly Driver[];
  skip: readonly { case: string; reason: string }[];
}

type Part = 'unit' | 'root';

/** The cases by name, the part that runs them and the function registering their tests. */
const CASES: Record<string, { part: Part; register: (b: BackendUnderTest) => void }> = {
  'golden full compile': { part: 'unit', register: goldenFullCompile },
  'golden events': { part: 'unit', register: goldenEvents },
  'incremental random changes': { part: 'unit', register: incremental },
  'engine IR changes': { part: 'unit', register: engineIrChanges },
  'agent steps': { part: 'unit', register: agentSteps },
  'kernel load': { part: 'root', register: kernelLoad },
  'analyzer vs kernel': { part: 'root', register: analyzerVsKernel },
};

export function backendSuite(b: BackendUnderTest): void {
  const suite = getCurrentSuite();
  const part: Part = suite.file.filepath.endsWith(ROOT_SUITE_SUFFIX) ? 'root' : 'unit';
  const unknown = b.skip.filter((s) => !(s.case in CASES));
  if (unknown.length) throw new Error(`${b.name}: skip entries name no case: ${unknown.map((s) => JSON.stringify(s.case)).join(', ')} (cases: ${Object.keys(CASES).join(', ')})`);
  const noReason = b.skip.filter((s) => !s.reason.trim());
  if (noReason.length) throw new Error(`${b.name}: skip entries without a reason: ${noReason.map((s) => s.case).join(', ')}`);
  for (const [name, c] of Object.entries(CASES)) {
    if (c.part !== part) continue;
    const skipped = b.skip.find((s) => s.case === name);
    // listed, not silent: the report shows the skipped case with its reason
    if (skipped) test.skip(`${b.name}: ${name} (skipped: ${skipped.reason})`, () => {});
    else c.register(b);
  }
}
