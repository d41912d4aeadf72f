/**
 * The ovn backend under the conformance suite (test/backend-suite): the Northbound rows
 * Neutron 21's ML2/OVN driver writes, as the golden-ovn fixtures have them
 * (test/golden/neutron_ovn_driver.py). A delta is rows written whole or deleted by name,
 * per table; its dataplanes the Northbound database and, for the analyzer, ovn-northd
 * with ovn-trace (planes/ovn-trace.ts).
 * Its entry file is ovn.test.ts.
 */
import { BACKENDS } from '../../src/backends/index.js';
import { type NbDelta, type OvnNorthbound, type TableDelta } from '../../src/backends/ovn/backend.js';
import { byName, type NbRows } from '../../src/backends/ovn/rows.js';
import { type BackendUnderTest } from '../backend-suite/index.js';
import { NB_LOAD } from '../backend-suite/planes/ovn-nb.js';
import { OVN_TRACE } from '../backend-suite/planes/ovn-trace.js';

/** A table after one delta: a row written replaces the row of its name, a name removed deletes its row. */
function applyTable<T extends { name: string }>(rows: T[], { set, remove }: TableDelta<T>): T[] {
  const out = new Map(rows.map((r) => [r.name, r]));
  for (const name of remove) out.delete(name);
  for (const r of set) out.set(r.name, r);
  return byName([...out.values()]);
}

export const OVN: BackendUnderTest<OvnNorthbound> = {
  name: 'ovn',
  fixtures: 'golden-ovn',
  firewalls: ['ovn'],
  // the Northbound database is the whole state: nothing kept from before
  create: (t) => BACKENDS.ovn.create(t),
  stored: (rows) => rows,
  applyDelta: (before: NbRows, d: NbDelta): NbRows => ({
    address_sets: applyTable(before.address_sets, d.address_sets),
    logical_switch_ports: applyTable(before.logical_switch_ports, d.logical_switch_ports),
    port_groups: applyTable(before.port_groups, d.port_groups),
  }),
  dataplane: NB_LOAD,
  analyzerVsDataplane: OVN_TRACE,
  skip: [
    { case: 'agent steps', reason: 'Neutron\'s OVN driver writes the Northbound database on every API call: no agent between loops to model (agent state "ideal" only), no step fixtures' },
  ],
};
