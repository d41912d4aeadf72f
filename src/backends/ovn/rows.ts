/**
 * The Northbound rows that decide port security, in the shape the golden harness dumps
 * them (test/golden/README.md, "OVN fixtures"): UUIDs replaced by names (a port by its
 * Neutron id, a switch by its name, an ACL inside its port group), OVSDB sets sorted,
 * rows by name, ACLs by (direction, priority descending, match, action). Keys are in
 * sorted order, as the harness's json.dump(sort_keys=True) writes them.
 */

export interface Lsp {
  addresses: string[];
  name: string;
  port_security: string[];
  switch: string;
  type: string;
}

export interface Acl {
  action: 'allow-related' | 'allow-stateless' | 'drop';
  direction: 'from-lport' | 'to-lport';
  external_ids: Record<string, string>;
  match: string;
  priority: number;
}

export interface PortGroup {
  acls: Acl[];
  name: string;
  ports: string[];
}

export interface AddressSet {
  addresses: string[];
  name: string;
}

export interface NbRows {
  address_sets: AddressSet[];
  logical_switch_ports: Lsp[];
  port_groups: PortGroup[];
}

/** code-point order, as Python's sorted() compares str */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const sortedText = (xs: Iterable<string>): string[] => [...xs].sort(compareText);
export const byName = <T extends { name: string }>(rows: T[]): T[] => rows.slice().sort((a, b) => compareText(a.name, b.name));

/** one port group never holds two ACLs with the same direction, priority and match (pg_acl_add's may_exist) */
export const aclOrder = (a: Acl, b: Acl): number =>
  compareText(a.direction, b.direction) || b.priority - a.priority || compareText(a.match, b.match) || compareText(a.action, b.action);

/** json.dump's ensure_ascii: every UTF-16 unit past ASCII as \uXXXX (lower-case hex, astral characters as their surrogates) */
const asciiOnly = (json: string) => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The rows as the harness prints them (json.dump(indent=1, sort_keys=True)), byte for byte. */
export const rowsJson = (rows: NbRows): string => `${asciiOnly(JSON.stringify(rows, null, 1))}\n`;
