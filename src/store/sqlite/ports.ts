/** Ports in SQLite, with their fixed IPs, allowed-address pairs and groups in tables of their own. */
import { type AddressPair } from '../../model/allowed-address-pairs.js';
import { type FixedIp, type Port } from '../../model/port.js';
import { type ListQuery, type New, type PortChanges, type PortField, type PortRepository, type Revision } from '../repository.js';
import { type Row, type SqliteDb } from './database.js';
import { changed, groupBy, type Listing, listRows, newStd, revise, type Sql, STD_COLUMNS, STD_FIELDS, std } from './rows.js';

const LISTING: Listing<PortField> = {
  select: `p.*, ${STD_COLUMNS}`,
  from: 'FROM ports p JOIN standard_attrs s ON s.id = p.std_id',
  id: 'p.id',
  fields: {
    id: 'p.id', project_id: 'p.project_id', network_id: 'p.network_id', name: 'p.name', mac_address: 'p.mac_address',
    admin_state_up: 'p.admin_state_up', status: 'p.status', device_id: 'p.device_id', device_owner: 'p.device_owner',
    port_security_enabled: 'p.port_security_enabled', host_id: 'p.host_id', vnic_type: 'p.vnic_type', ...STD_FIELDS,
  },
  // the port's own project, or its network's
  visible: 'p.project_id = ? OR EXISTS (SELECT 1 FROM networks w WHERE w.id = p.network_id AND w.project_id = ?)',
};

type Scalars = Exclude<keyof PortChanges, 'fixed_ips' | 'allowed_address_pairs' | 'security_groups'>;
const SCALARS: Record<Scalars, [string, (v: never) => unknown]> = {
  name: ['name', (v: string) => v], admin_state_up: ['admin_state_up', (v: boolean) => (v ? 1 : 0)], device_id: ['device_id', (v: string) => v],
  device_owner: ['device_owner', (v: string) => v], port_security_enabled: ['port_security_enabled', (v: boolean) => (v ? 1 : 0)],
  host_id: ['host_id', (v: string) => v], vnic_type: ['vnic_type', (v: string) => v], profile: ['profile', (v: unknown) => JSON.stringify(v)],
  mac_address: ['mac_address', (v: string) => v],
};

/** Up to this many ports, their addresses, pairs and groups are read by id; beyond, whole tables in one pass. */
const BY_ID = 500;

/** `all`: the rows are every port (their tables are read whole). */
function records(db: SqliteDb, rows: Row[], all = false): Port[] {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id as string);
  const sub = (table: string, order: string) => groupBy(
    !all && ids.length <= BY_ID
      ? db.all(`SELECT * FROM ${table} WHERE port_id IN (${ids.map(() => '?').join(', ')}) ORDER BY ${order}`, ...ids)
      : db.all(`SELECT * FROM ${table} ORDER BY ${order}`),
    (r) => r.port_id as string,
  );
  const ips = sub('ip_allocations', 'seq');
  const pairs = sub('allowed_address_pairs', 'rowid');
  const sgs = sub('port_security_groups', 'security_group_id');
  return rows.map((r) => {
    const id = r.id as string;
    return Object.assign(std(r), {
      id,
      project_id: r.project_id as string,
      network_id: r.network_id as string,
      name: r.name as string,
      mac_address: r.mac_address as string,
      admin_state_up: !!r.admin_state_up,
      status: r.status as string,
      device_id: r.device_id as string,
      device_owner: r.device_owner as string,
      port_security_enabled: !!r.port_security_enabled,
      host_id: r.host_id as string,
      vnic_type: r.vnic_type as string,
      profile: JSON.parse(r.profile as string),
      fixed_ips: (ips.get(id) ?? []).map((i): FixedIp => ({ subnet_id: i.subnet_id as string, ip_address: i.ip_address as string })),
      allowed_address_pairs: (pairs.get(id) ?? []).map((a): AddressPair => ({ mac_address: a.mac_address as string, ip_address: a.ip_address as string })),
      security_groups: (sgs.get(id) ?? []).map((g) => g.security_group_id as string),
    });
  });
}

function setFixedIps(db: SqliteDb, portId: string, networkId: string, ips: FixedIp[]): void {
  db.run('DELETE FROM ip_allocations WHERE port_id = ?', portId);
  ips.forEach((ip, i) => db.run('INSERT INTO ip_allocations (port_id, subnet_id, network_id, ip_address, seq) VALUES (?, ?, ?, ?, ?)',
    portId, ip.subnet_id, networkId, ip.ip_address, i));
}

function setPairs(db: SqliteDb, portId: string, pairs: AddressPair[]): void {
  db.run('DELETE FROM allowed_address_pairs WHERE port_id = ?', portId);
  for (const p of pairs) db.run('INSERT INTO allowed_address_pairs (port_id, mac_address, ip_address) VALUES (?, ?, ?)', portId, p.mac_address, p.ip_address);
}

function setGroups(db: SqliteDb, portId: string, groups: string[]): void {
  db.run('DELETE FROM port_security_groups WHERE port_id = ?', portId);
  for (const g of groups) db.run('INSERT INTO port_security_groups (port_id, security_group_id) VALUES (?, ?)', portId, g);
}

export class SqlitePorts implements PortRepository {
  constructor(private readonly sql: Sql) {}

  private read(id: string, visibleTo?: string): Port | undefined {
    return records(this.sql.db, listRows(this.sql.db, LISTING, { where: { id: [id] }, visibleTo }))[0];
  }

  get(id: string, visibleTo?: string): Promise<Port | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  getMany(ids: readonly string[]): Promise<Port[]> {
    return this.sql.exec(() => {
      const out: Port[] = [];
      // SQLite's parameter limit: ids in slices
      for (let i = 0; i < ids.length; i += BY_ID) {
        out.push(...records(this.sql.db, listRows(this.sql.db, LISTING, { where: { id: ids.slice(i, i + BY_ID) } })));
      }
      return out;
    });
  }

  list(q: ListQuery<PortField> = {}): Promise<Port[]> {
    const all = !q.where && q.visibleTo === undefined && q.limit === undefined && q.marker === undefined;
    return this.sql.exec(() => records(this.sql.db, listRows(this.sql.db, LISTING, q), all));
  }

  create(p: New<Port>): Promise<Port> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      db.run(`INSERT INTO ports (id, project_id, network_id, name, mac_address, admin_state_up, status, device_id, device_owner,
           port_security_enabled, host_id, vnic_type, profile, std_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      p.id, p.project_id, p.network_id, p.name, p.mac_address, p.admin_state_up ? 1 : 0, p.status, p.device_id, p.device_owner,
      p.port_security_enabled ? 1 : 0, p.host_id, p.vnic_type, JSON.stringify(p.profile), newStd(db, 'ports', p.description, p.revision_number));
      setFixedIps(db, p.id, p.network_id, p.fixed_ips);
      setPairs(db, p.id, p.allowed_address_pairs);
      setGroups(db, p.id, p.security_groups);
      changed(db, 'port', p.id, 'create');
      return this.read(p.id)!;
    });
  }

  update(id: string, changes: PortChanges, revision: Revision): Promise<Port> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const row = db.one('SELECT network_id, std_id FROM ports WHERE id = ?', id)!;
      for (const [field, v] of Object.entries(changes) as [keyof PortChanges, never][]) {
        if (field in SCALARS) {
          const [col, encode] = SCALARS[field as Scalars];
          db.run(`UPDATE ports SET ${col} = ? WHERE id = ?`, encode(v), id);
        }
      }
      if (changes.fixed_ips) setFixedIps(db, id, row.network_id as string, changes.fixed_ips);
      if (changes.allowed_address_pairs) setPairs(db, id, changes.allowed_address_pairs);
      if (changes.security_groups) setGroups(db, id, changes.security_groups);
      revise(db, row.std_id as number, revision);
      changed(db, 'port', id, 'update');
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      this.sql.db.run('DELETE FROM ports WHERE id = ?', id);
      changed(this.sql.db, 'port', id, 'delete');
    });
  }

  macInUse(networkId: string, mac: string): Promise<boolean> {
    return this.sql.exec(() => !!this.sql.db.one('SELECT 1 FROM ports WHERE network_id = ? AND mac_address = ?', networkId, mac));
  }

  ipHolder(subnetId: string, ip: string): Promise<string | undefined> {
    return this.sql.exec(() => this.sql.db.one('SELECT port_id FROM ip_allocations WHERE subnet_id = ? AND ip_address = ?', subnetId, ip)?.port_id as string | undefined);
  }

  ipsOnSubnet(subnetId: string): Promise<string[]> {
    return this.sql.exec(() => this.sql.db.all('SELECT ip_address FROM ip_allocations WHERE subnet_id = ?', subnetId).map((r) => r.ip_address as string));
  }

  usingSubnet(subnetId: string): Promise<string[]> {
    return this.sql.exec(() => this.sql.db.all('SELECT DISTINCT port_id FROM ip_allocations WHERE subnet_id = ?', subnetId).map((r) => r.port_id as string));
  }

  boundHosts(): Promise<string[]> {
    return this.sql.exec(() => this.sql.db.all("SELECT DISTINCT host_id FROM ports WHERE host_id != '' ORDER BY host_id").map((r) => r.host_id as string));
  }
}
