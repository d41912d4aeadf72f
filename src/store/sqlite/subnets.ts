/** Subnets in SQLite (pools, DNS servers and host routes as JSON). */
import { type Subnet } from '../../model/subnet.js';
import { type ListQuery, type New, type Revision, type SubnetChanges, type SubnetField, type SubnetRepository } from '../repository.js';
import { type Row } from './database.js';
import { changed, type Listing, listRows, newStd, revise, type Sql, STD_COLUMNS, STD_FIELDS, std } from './rows.js';

const LISTING: Listing<SubnetField> = {
  select: `n.*, ${STD_COLUMNS}`,
  from: 'FROM subnets n JOIN standard_attrs s ON s.id = n.std_id',
  id: 'n.id',
  fields: {
    id: 'n.id', project_id: 'n.project_id', network_id: 'n.network_id', name: 'n.name', ip_version: 'n.ip_version', cidr: 'n.cidr',
    gateway_ip: 'n.gateway_ip', enable_dhcp: 'n.enable_dhcp', ipv6_ra_mode: 'n.ipv6_ra_mode', ipv6_address_mode: 'n.ipv6_address_mode', ...STD_FIELDS,
  },
  // the subnet's own project, or anyone who sees its network
  visible: 'n.project_id = ? OR EXISTS (SELECT 1 FROM networks w WHERE w.id = n.network_id AND (w.project_id = ? OR w.shared = 1))',
};

const json = (v: unknown) => JSON.stringify(v);
const ENCODE: Record<keyof SubnetChanges, (v: never) => unknown> = {
  name: (v: string) => v, gateway_ip: (v: string | null) => v, allocation_pools: json, enable_dhcp: (v: boolean) => (v ? 1 : 0),
  dns_nameservers: json, host_routes: json,
};

function record(r: Row): Subnet {
  return Object.assign(std(r), {
    id: r.id as string,
    project_id: r.project_id as string,
    network_id: r.network_id as string,
    name: r.name as string,
    ip_version: r.ip_version as 4 | 6,
    cidr: r.cidr as string,
    gateway_ip: r.gateway_ip as string | null,
    allocation_pools: JSON.parse(r.allocation_pools as string),
    enable_dhcp: !!r.enable_dhcp,
    dns_nameservers: JSON.parse(r.dns_nameservers as string),
    host_routes: JSON.parse(r.host_routes as string),
    ipv6_ra_mode: r.ipv6_ra_mode as string | null,
    ipv6_address_mode: r.ipv6_address_mode as string | null,
  });
}

export class SqliteSubnets implements SubnetRepository {
  constructor(private readonly sql: Sql) {}

  private read(id: string, visibleTo?: string): Subnet | undefined {
    return listRows(this.sql.db, LISTING, { where: { id: [id] }, visibleTo }).map(record)[0];
  }

  get(id: string, visibleTo?: string): Promise<Subnet | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  list(q?: ListQuery<SubnetField>): Promise<Subnet[]> {
    return this.sql.exec(() => listRows(this.sql.db, LISTING, q).map(record));
  }

  create(s: New<Subnet>): Promise<Subnet> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      db.run(`INSERT INTO subnets (id, project_id, network_id, name, ip_version, cidr, gateway_ip, allocation_pools, enable_dhcp,
           dns_nameservers, host_routes, ipv6_ra_mode, ipv6_address_mode, std_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.id, s.project_id, s.network_id, s.name, s.ip_version, s.cidr, s.gateway_ip, json(s.allocation_pools), s.enable_dhcp ? 1 : 0,
      json(s.dns_nameservers), json(s.host_routes), s.ipv6_ra_mode, s.ipv6_address_mode, newStd(db, 'subnets', s.description, s.revision_number));
      changed(db, 'subnet', s.id, 'create');
      return this.read(s.id)!;
    });
  }

  update(id: string, changes: SubnetChanges, revision: Revision): Promise<Subnet> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      for (const [field, v] of Object.entries(changes) as [keyof SubnetChanges, never][]) {
        db.run(`UPDATE subnets SET ${field} = ? WHERE id = ?`, ENCODE[field](v), id);
      }
      revise(db, db.one('SELECT std_id FROM subnets WHERE id = ?', id)!.std_id as number, revision);
      changed(db, 'subnet', id, 'update');
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      this.sql.db.run('DELETE FROM subnets WHERE id = ?', id);
      changed(this.sql.db, 'subnet', id, 'delete');
    });
  }
}
