/**
 * The iptables backend under the conformance suite (test/backend-suite): Neutron's
 * iptables firewall drivers, both as the golden fixtures (test/fixtures/golden) have
 * them, and Neutron 21's agent following events (--agent-state neutron-21). A delta is
 * what the agent writes (chains rewritten or deleted, ipset members added or removed),
 * its dataplane the kernel. It skips no case.
 * Its entry files, iptables.test.ts and iptables.root.test.ts, run the suite's two parts.
 */
import { BACKENDS } from '../../src/backends/index.js';
import { type IptablesNode } from '../../src/backends/iptables/backend.js';
import { applyDelta } from '../../src/backends/iptables/delta.js';
import { goldenJson } from '../../src/backends/iptables/golden-json.js';
import { NodeCompiler } from '../../src/backends/iptables/node-compiler.js';
import { type BackendUnderTest } from '../backend-suite/index.js';
import { ANALYZER_VS_KERNEL } from '../backend-suite/planes/iptables-analyzer.js';
import { KERNEL_LOAD } from '../backend-suite/planes/iptables-kernel.js';

export const IPTABLES: BackendUnderTest<IptablesNode> = {
  name: 'iptables',
  fixtures: 'golden',
  firewalls: ['iptables', 'iptables_hybrid'],
  // a fresh sync keeping the zones an earlier compile numbered: what the incremental cases compare with
  create: (t, after) => new NodeCompiler(t, after?.zones),
  // zone numbers are agent state: a node whose last port left keeps its frame, one that never had a port has none, as Neutron's agent
  freshSyncMatches: (t) => t.ports.some((p) => p.local),
  agent: (t) => BACKENDS.iptables.create(t, 'neutron-21'),
  stored: goldenJson,
  applyDelta,
  dataplane: KERNEL_LOAD,
  analyzerVsDataplane: ANALYZER_VS_KERNEL,
  skip: [],
};
