/**
 * The iptables backend under the conformance suite (test/backend-suite): Neutron's
 * iptables firewall drivers, both as the golden fixtures have them. It skips no case.
 * Its entry files, iptables.test.ts and iptables.root.test.ts, run the suite's two parts.
 */
import { BACKENDS } from '../../src/backends/index.js';
import { type BackendUnderTest } from '../backend-suite/index.js';

export const IPTABLES: BackendUnderTest = {
  name: 'iptables',
  create: BACKENDS.iptables.create,
  drivers: ['linuxbridge', 'ovs_hybrid'],
  skip: [],
};
