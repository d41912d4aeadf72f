/**
 * A topology as the Northbound rows Neutron's OVN driver writes for it, created in the
 * order Neutron is asked (the golden harness's: the drop group, groups with their rules,
 * then ports in input order). OVN enforces every port wherever it is bound: no host filter.
 */
import { portKind } from '../../policy/compile.js';
import { type Topology } from '../../policy/topology.js';
import { DROP_ACLS, groupAcls } from './acl.js';
import { DROP_PORT_GROUP, portGroupName } from './names.js';
import { isIgnored, lspRow, rowIps } from './port-security.js';
import { aclOrder, byName, type Lsp, type NbRows, sortedText } from './rows.js';

export function renderRows(t: Topology): NbRows {
  const lsps = new Map<string, Lsp>();
  const ipsOnSwitch = new Map<string, Set<string>>();
  const members = new Map<string, Set<string>>([[DROP_PORT_GROUP, new Set()]]);
  for (const g of t.groups.values()) members.set(portGroupName(g.id), new Set());
  for (const p of t.ports) {
    if (isIgnored(p)) continue;
    const switchIps = ipsOnSwitch.get(p.network_id) ?? new Set();
    ipsOnSwitch.set(p.network_id, switchIps);
    const lsp = lspRow(p, switchIps);
    lsps.set(p.id, lsp);
    for (const ip of rowIps(lsp)) switchIps.add(ip);
    // a port with port security is dropped unless a rule admits; a trusted port has no groups (get_lsp_security_groups)
    if (lsp.port_security.length) members.get(DROP_PORT_GROUP)!.add(p.id);
    if (portKind(p) !== 'trusted') for (const g of p.security_groups) members.get(portGroupName(g))!.add(p.id);
  }
  const acls = new Map([[DROP_PORT_GROUP, [...DROP_ACLS]], ...[...t.groups.values()].map((g) => [portGroupName(g.id), groupAcls(g)] as const)]);
  return {
    // Zed writes no Address_Set: ovn-northd makes pg_<group>_ip4/_ip6 in the Southbound database from the members' `addresses`
    address_sets: [],
    logical_switch_ports: byName([...lsps.values()].map((l) => ({ ...l, addresses: sortedText(l.addresses), port_security: sortedText(l.port_security) }))),
    port_groups: byName([...members].map(([name, ports]) => ({ acls: acls.get(name)!.sort(aclOrder), name, ports: sortedText(ports) }))),
  };
}
