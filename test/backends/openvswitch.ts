/**
 * The openvswitch backend under the conformance suite (test/backend-suite): the br-int
 * flows of Neutron 21's OVSFirewallDriver, as the golden-ovs fixtures have them
 * (test/golden/neutron_ovs_driver.py). A delta is flows deleted by their text (del-flows
 * --strict) and flows added; its dataplanes ovs-ofctl's parser and, for the analyzer, a real
 * ovs-vswitchd (planes/ovs-trace.ts).
 * Its entry file is openvswitch.test.ts.
 */
import { BACKENDS } from '../../src/backends/index.js';
import { type OvsNode } from '../../src/backends/openvswitch/backend.js';
import { dumpOrder } from '../../src/backends/openvswitch/flow.js';
import { goldenJson } from '../../src/backends/openvswitch/formats.js';
import { type BackendUnderTest } from '../backend-suite/index.js';
import { OFCTL_PARSE } from '../backend-suite/planes/ovs-ofctl.js';
import { OVS_TRACE } from '../backend-suite/planes/ovs-trace.js';

export const OPENVSWITCH: BackendUnderTest<OvsNode> = {
  name: 'openvswitch',
  fixtures: 'golden-ovs',
  firewalls: ['openvswitch'],
  // the agent keeps nothing across syncs that the flows depend on (its cookie and OVSDB facts are the topology's)
  create: (t) => BACKENDS.openvswitch.create(t),
  stored: goldenJson,
  applyDelta: (before, d) => {
    const gone = new Set(d.remove);
    return { ...before, flows: dumpOrder([...before.flows.filter((f) => !gone.has(f)), ...d.add]) };
  },
  dataplane: OFCTL_PARSE,
  analyzerVsDataplane: OVS_TRACE,
  skip: [
    { case: 'agent steps', reason: 'no model of the OVS agent between its loops (agent state "ideal" only) and no step fixtures of Neutron\'s OVS agent' },
  ],
};
