/** Ports in SQLite, with their fixed IPs, allowed-address pairs and groups in tables of their own. */
import { type AddressPair } from '../../model/allowed-address-pairs.js';
import { type FixedIp, type Port } from '../../model/port.js';
import { type New, type PortChanges, type PortField, type PortRepository, type PortSet, type Revision } from '../repository.js';
import { type SqliteDb } from './database.js';
import { SqliteResource, type Table } from './resource.js';
import { revise, type Sql, std } from './rows.js';

const PORTS: Table<Port, PortField, 'ips' | 'pairs' | 'groups', PortSet> = {
  name: 'ports',
  alias: 'p',
  columns: {
    project_id: true, network_id: true, name: true, mac_address: true, admin_state_up: true, status: true, device_id: true, device_owner: true,
    port_security_enabled: true, host_id: true, vnic_type: true,
  },
  json: ['profile'],
  // the port's own project, or its network's
  visible: 'p.project_id = ? OR EXISTS (SELECT 1 FROM networks w WHERE w.id = p.network_id AND w.project_id = ?)',
  children: {
    ips: { table: 'ip_allocations', owner: 'port_id', order: 'seq' },
    pairs: { table: 'allowed_address_pairs', owner: 'port_id', order: 'rowid' },
    groups: { table: 'port_security_groups', owner: 'port_id', order: 'security_group_id' },
  },
  sets: {
    security_groups: { child: 'groups', column: 'security_group_id' },
    'fixed_ips.ip_address': { child: 'ips', column: 'ip_address' },
    'fixed_ips.subnet_id': { child: 'ips', column: 'subnet_id' },
  },
  resource: 'port',
  stdType: 'ports',
  decode: (r, { ips, pairs, groups }) => Object.assign(std(r), {
    id: r.id as string,
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
    fixed_ips: ips.map((i): FixedIp => ({ subnet_id: i.subnet_id as string, ip_address: i.ip_address as string })),
    allowed_address_pairs: pairs.map((a): AddressPair => ({ mac_address: a.mac_address as string, ip_address: a.ip_address as string })),
    security_groups: groups.map((g) => g.security_group_id as string),
  }),
};

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

export class SqlitePorts extends SqliteResource<Port, PortField, 'ips' | 'pairs' | 'groups', PortSet> implements PortRepository {
  constructor(sql: Sql) {
    super(sql, PORTS);
  }

  create(p: New<Port>): Promise<Port> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      this.insert({
        id: p.id, project_id: p.project_id, network_id: p.network_id, name: p.name, mac_address: p.mac_address, admin_state_up: p.admin_state_up,
        status: p.status, device_id: p.device_id, device_owner: p.device_owner, port_security_enabled: p.port_security_enabled, host_id: p.host_id,
        vnic_type: p.vnic_type, profile: p.profile,
      }, p.description, p.revision_number);
      setFixedIps(db, p.id, p.network_id, p.fixed_ips);
      setPairs(db, p.id, p.allowed_address_pairs);
      setGroups(db, p.id, p.security_groups);
      this.changed(p.id, 'create');
      return this.read(p.id)!;
    });
  }

  update(id: string, changes: PortChanges, revision: Revision): Promise<Port> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const { fixed_ips: ips, allowed_address_pairs: pairs, security_groups: groups, ...columns } = changes;
      this.setColumns(id, columns);
      if (ips) setFixedIps(db, id, db.one('SELECT network_id FROM ports WHERE id = ?', id)!.network_id as string, ips);
      if (pairs) setPairs(db, id, pairs);
      if (groups) setGroups(db, id, groups);
      revise(db, this.stdId(id), revision);
      this.changed(id, 'update');
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => this.deleteRow(id));
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
