/** What the OVN backend prints: `portsec compile`'s formats, and a delta in one line. */
import { type OutputFormat } from '../contract.js';
import { type NbDelta, type OvnNorthbound } from './backend.js';
import { nbctlScript } from './nbctl.js';
import { rowsJson } from './rows.js';

export const FORMATS: Record<string, OutputFormat<OvnNorthbound>> = {
  'nb-json': { help: 'the Northbound rows (logical switch ports, port groups with their ACLs, address sets) as the OVN golden fixtures hold them', write: (nb, print) => print(rowsJson(nb.state)) },
  nbctl: { help: 'one ovn-nbctl transaction creating those rows in an empty Northbound database (OVN_NB_DB names it)', write: (nb, print) => print(nbctlScript(nb.state)) },
};

const changed = ({ set, remove }: NbDelta[keyof NbDelta]) => set.length + remove.length;
export const summary = (d: NbDelta): string =>
  `${changed(d.logical_switch_ports)} logical switch ports, ${changed(d.port_groups)} port groups, ${changed(d.address_sets)} address sets`;
