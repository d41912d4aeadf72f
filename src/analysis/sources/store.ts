/**
 * The snapshot of this server's own database: the items its API would list.
 * Without a project it is the admin's view (everything); with one it is what
 * that project's members see — their objects, networks shared with them and
 * their subnets, ports on networks they own, rules of their groups; no
 * bindings (binding:host_id, vif_type, vif_details), which only admins see. A port may name a group of another
 * project (an admin can make one); the group is then not in that project's
 * snapshot, as it is not in its API listings, unless that project shares it
 * with this one (RBAC): then the group and all its rules are. Unlike a listing, reading never
 * creates a project's default group.
 */
import { existsSync } from 'node:fs';
import { sortPairs } from '../../model/allowed-address-pairs.js';
import { idFor } from '../../api/identity.js';
import { type Rule } from '../../model/security-group-rule.js';
import { type Repositories, type Store } from '../../store/repository.js';
import { openStore } from '../../store/open.js';
import { vifBinding } from '../../model/port.js';
import { type Snapshot } from '../snapshot.js';
import { InputError } from './errors.js';
import { portBackends } from './port-backends.js';

/** `name`: where the database is, for the snapshot's source line. Run it on one store snapshot (Store.snapshot). */
export async function fromStore(db: Repositories, name: string, projectId?: string): Promise<Snapshot> {
  const q = { visibleTo: projectId };
  const [networks, subnets, ports, groups, visibleRules, addressGroups] = await Promise.all([
    db.networks.list(q), db.subnets.list(q), db.ports.list(q), db.securityGroups.list(q), db.rules.list(q), db.addressGroups.list(q),
  ]);
  const rules = projectId === undefined ? visibleRules : await withSharedRules(db, visibleRules, groups.filter((g) => g.project_id !== projectId).map((g) => g.id));
  const snapshotPorts = ports.map((p) => ({
    id: p.id,
    name: p.name,
    project_id: p.project_id,
    network_id: p.network_id,
    mac_address: p.mac_address,
    device_owner: p.device_owner,
    device_id: p.device_id,
    ...(projectId === undefined ? { 'binding:host_id': p.host_id, ...vifBinding(p.host_id) } : {}),
    fixed_ips: p.fixed_ips,
    allowed_address_pairs: sortPairs(p.allowed_address_pairs),
    security_groups: p.security_groups,
    port_security_enabled: p.port_security_enabled,
    revision_number: p.revision_number,
  }));
  return {
    source: `database ${name}${projectId === undefined ? '' : ` (project ${projectId})`}`,
    networks: networks.map((n) => ({
      id: n.id, name: n.name, project_id: n.project_id, port_security_enabled: n.port_security_enabled, 'router:external': n.external,
    })),
    subnets: subnets.map((s) => ({
      id: s.id, name: s.name, network_id: s.network_id, ip_version: s.ip_version, cidr: s.cidr, gateway_ip: s.gateway_ip,
    })),
    ports: snapshotPorts,
    security_groups: groups.map((g) => ({
      id: g.id, name: g.name, project_id: g.project_id, stateful: g.stateful, description: g.description, revision_number: g.revision_number,
    })),
    security_group_rules: rules.map((r) => ({
      id: r.id,
      security_group_id: r.security_group_id,
      project_id: r.project_id,
      direction: r.direction,
      ethertype: r.ethertype,
      protocol: r.protocol,
      port_range_min: r.port_range_min,
      port_range_max: r.port_range_max,
      remote_ip_prefix: r.remote_ip_prefix,
      remote_group_id: r.remote_group_id,
      ...(r.remote_address_group_id === null ? {} : { remote_address_group_id: r.remote_address_group_id }),
      description: r.description,
      revision_number: r.revision_number,
    })),
    ...(addressGroups.length ? { address_groups: addressGroups.map((a) => ({ id: a.id, addresses: a.addresses })) } : {}),
    // the server has no agents API: its bound ports say linuxbridge themselves
    backends: portBackends(snapshotPorts, null, 'this server has no agents API (its bound ports say linuxbridge)'),
  };
}

/**
 * A project's rules and those of the groups other projects share with it (RBAC): it lists only the
 * former, but sees the latter embedded in the groups, as their ports are filtered by them.
 */
async function withSharedRules(db: Repositories, visible: Rule[], shared: string[]): Promise<Rule[]> {
  if (!shared.length) return visible;
  const listed = new Set(visible.map((r) => r.id));
  return [...visible, ...(await db.rules.list({ where: { security_group_id: shared } })).filter((r) => !listed.has(r.id))];
}

/** Whether a project owns anything in the database (a project portsec knows of owns its objects; its Keystone has no other list). */
async function owns(db: Repositories, projectId: string): Promise<boolean> {
  const q = { where: { project_id: [projectId] }, limit: 1 };
  const found = await Promise.all([db.networks.list(q), db.subnets.list(q), db.ports.list(q), db.securityGroups.list(q), db.rules.list(q)]);
  return found.some((items) => items.length > 0);
}

/**
 * The project `text` names: its id, or a Keystone account's project name (portsec's Keystone
 * gives the project of name N the id idFor('project', N)). A project that owns nothing here,
 * or a text naming two projects, is refused: an audit of nothing would say "no findings".
 */
export async function resolveProject(db: Repositories, text: string, where: string): Promise<string> {
  const candidates = [...new Set([text, idFor('project', text)])];
  const known = (await Promise.all(candidates.map(async (id) => ((await owns(db, id)) ? [id] : [])))).flat();
  if (known.length === 1) return known[0];
  if (known.length > 1) throw new InputError(`--as-project ${text}: names two projects in ${where}: ${known[0]} (by id) and ${known[1]} (by name); give the id`);
  const all = [...new Set((await Promise.all([db.networks.list(), db.securityGroups.list(), db.ports.list()])).flat().map((o) => o.project_id))].sort();
  const shown = all.length > 10 ? `${all.slice(0, 10).join(', ')}, … (${all.length})` : all.join(', ') || 'none';
  throw new InputError(`--as-project ${text}: no project of that id or name owns anything in ${where} (projects: ${shown})`);
}

/** The snapshot of a database file of `portsec serve` (which must exist: opening creates one); `project`: an id or a Keystone project name. */
export async function readDatabase(file: string, project?: string): Promise<Snapshot> {
  if (!existsSync(file)) throw new InputError(`${file}: no such database (start \`portsec serve --db ${file}\` to make one, or name another with --db)`);
  let store: Store;
  try {
    store = openStore(file);
  } catch (e) {
    throw new InputError(`${file}: cannot open as a portsec database: ${(e as Error).message}`);
  }
  try {
    return await store.snapshot(async (tx) => fromStore(tx, store.name, project === undefined ? undefined : await resolveProject(tx, project, file)));
  } finally {
    await store.close();
  }
}
