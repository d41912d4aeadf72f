/**
 * Rows as ovn-nbctl database commands: one transaction that creates them in an empty
 * Northbound database, the schema's constraints checked as it commits. `portsec compile
 * --format nbctl` prints it as a shell command; the tests load fixtures with it.
 */
import { type NbRows } from './rows.js';

/** OVSDB's string syntax in ovn-nbctl's arguments is JSON's */
const q = (s: string) => JSON.stringify(s);
const set = (xs: string[]) => `[${xs.map(q).join(',')}]`;
const map = (m: Record<string, string>) => `{${Object.entries(m).map(([k, v]) => `${q(k)}=${q(v)}`).join(',')}}`;

/** The commands, each an argument list; joined with `--` they are one ovn-nbctl transaction. */
export function loadCommands(rows: NbRows): string[][] {
  const cmds: string[][] = [];
  for (const sw of new Set(rows.logical_switch_ports.map((l) => l.switch))) cmds.push(['ls-add', sw]);
  const lspId = new Map<string, string>();
  rows.logical_switch_ports.forEach((l, i) => {
    lspId.set(l.name, `@lsp${i}`);
    cmds.push([`--id=@lsp${i}`, 'create', 'Logical_Switch_Port', `name=${q(l.name)}`, `type=${q(l.type)}`, `addresses=${set(l.addresses)}`, `port_security=${set(l.port_security)}`]);
    cmds.push(['add', 'Logical_Switch', l.switch, 'ports', `@lsp${i}`]);
  });
  let n = 0;
  for (const g of rows.port_groups) {
    const acls = g.acls.map((a) => {
      const id = `@acl${n++}`;
      cmds.push([`--id=${id}`, 'create', 'ACL', `direction=${a.direction}`, `priority=${a.priority}`, `match=${q(a.match)}`, `action=${a.action}`, `external_ids=${map(a.external_ids)}`]);
      return id;
    });
    cmds.push(['create', 'Port_Group', `name=${q(g.name)}`, `ports=[${g.ports.map((p) => lspId.get(p)).join(',')}]`, `acls=[${acls.join(',')}]`]);
  }
  for (const s of rows.address_sets) cmds.push(['create', 'Address_Set', `name=${q(s.name)}`, `addresses=${set(s.addresses)}`]);
  return cmds;
}

/** ovn-nbctl's arguments for the one transaction */
export const loadArgs = (rows: NbRows): string[] => loadCommands(rows).flatMap((c, i) => (i ? ['--', ...c] : c));

const shellWord = (s: string) => (/^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** The transaction as a shell command, one database command a line; ovn-nbctl finds the database in OVN_NB_DB. */
export function nbctlScript(rows: NbRows): string {
  const lines = loadCommands(rows).map((c, i) => `${i ? '  -- ' : '  '}${c.map(shellWord).join(' ')}`);
  return `ovn-nbctl \\\n${lines.join(' \\\n')}\n`;
}
