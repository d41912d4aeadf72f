/**
 * The iptables backend under the conformance suite (test/backend-suite): Neutron's
 * iptables firewall drivers, both as the golden fixtures have them, and Neutron 21's agent
 * following events (--agent-state neutron-21). It skips no case.
 * Its entry files, iptables.test.ts and iptables.root.test.ts, run the suite's two parts.
 */
import { BACKENDS } from '../../src/backends/index.js';
import { NodeCompiler } from '../../src/backends/iptables/node-compiler.js';
import { type BackendUnderTest } from '../backend-suite/index.js';

export const IPTABLES: BackendUnderTest = {
  name: 'iptables',
  // a fresh sync keeping the zones an earlier compile numbered: what the incremental cases compare with
  create: (t, previousZones) => new NodeCompiler(t, previousZones),
  agent: (t) => BACKENDS.iptables.create(t, 'neutron-21'),
  drivers: ['linuxbridge', 'ovs_hybrid'],
  skip: [],
};
