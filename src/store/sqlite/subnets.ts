/** Subnets in SQLite (pools, DNS servers and host routes as JSON). */
import { type Subnet } from '../../model/subnet.js';
import { type New, type Revision, type SubnetChanges, type SubnetField, type SubnetRepository } from '../repository.js';
import { SqliteResource, type Table } from './resource.js';
import { revise, type Sql, std } from './rows.js';

const SUBNETS: Table<Subnet, SubnetField> = {
  name: 'subnets',
  alias: 'n',
  columns: {
    project_id: true, network_id: true, name: true, ip_version: true, cidr: true, gateway_ip: true, enable_dhcp: true, ipv6_ra_mode: true,
    ipv6_address_mode: true,
  },
  json: ['allocation_pools', 'dns_nameservers', 'host_routes'],
  // the subnet's own project, or anyone who sees its network
  visible: 'n.project_id = ? OR EXISTS (SELECT 1 FROM networks w WHERE w.id = n.network_id AND (w.project_id = ? OR w.shared = 1))',
  resource: 'subnet',
  stdType: 'subnets',
  decode: (r) => Object.assign(std(r), {
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
  }),
};

export class SqliteSubnets extends SqliteResource<Subnet, SubnetField> implements SubnetRepository {
  constructor(sql: Sql) {
    super(sql, SUBNETS);
  }

  create(s: New<Subnet>): Promise<Subnet> {
    return this.sql.exec(() => {
      this.insert({
        id: s.id, project_id: s.project_id, network_id: s.network_id, name: s.name, ip_version: s.ip_version, cidr: s.cidr, gateway_ip: s.gateway_ip,
        allocation_pools: s.allocation_pools, enable_dhcp: s.enable_dhcp, dns_nameservers: s.dns_nameservers, host_routes: s.host_routes,
        ipv6_ra_mode: s.ipv6_ra_mode, ipv6_address_mode: s.ipv6_address_mode,
      }, s.description, s.revision_number);
      this.changed(s.id, 'create');
      return this.read(s.id)!;
    });
  }

  update(id: string, changes: SubnetChanges, revision: Revision): Promise<Subnet> {
    return this.sql.exec(() => {
      this.setColumns(id, changes);
      revise(this.sql.db, this.stdId(id), revision);
      this.changed(id, 'update');
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => this.deleteRow(id));
  }
}
