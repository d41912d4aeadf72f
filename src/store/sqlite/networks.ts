/** Networks, each with its one VXLAN segment, in SQLite. */
import { type Network } from '../../model/network.js';
import { newId } from '../ids.js';
import { type NetworkChanges, type NetworkField, type NetworkRepository, type New, type Revision } from '../repository.js';
import { SqliteResource, type Table } from './resource.js';
import { newStd, revise, type Sql, std } from './rows.js';

const NETWORKS: Table<Network, NetworkField, 'subnets'> = {
  name: 'networks',
  alias: 'n',
  columns: { project_id: true, name: true, admin_state_up: true, shared: true, port_security_enabled: true, external: true, mtu: true },
  joined: { select: 'g.segmentation_id', from: 'JOIN network_segments g ON g.network_id = n.id' },
  visible: 'n.project_id = ? OR n.shared = 1',
  children: { subnets: { table: 'subnets', owner: 'network_id', order: 'std_id' } },
  resource: 'network',
  stdType: 'networks',
  decode: (r, { subnets }) => Object.assign(std(r), {
    id: r.id as string,
    project_id: r.project_id as string,
    name: r.name as string,
    admin_state_up: !!r.admin_state_up,
    shared: !!r.shared,
    port_security_enabled: !!r.port_security_enabled,
    external: !!r.external,
    mtu: r.mtu as number,
    segmentation_id: r.segmentation_id as number,
    subnets: subnets.map((s) => s.id as string),
  }),
};

export class SqliteNetworks extends SqliteResource<Network, NetworkField, 'subnets'> implements NetworkRepository {
  constructor(sql: Sql) {
    super(sql, NETWORKS);
  }

  create(n: Omit<New<Network>, 'segmentation_id' | 'subnets'>): Promise<Network> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const stdId = this.insert({
        id: n.id, project_id: n.project_id, name: n.name, admin_state_up: n.admin_state_up, shared: n.shared,
        port_security_enabled: n.port_security_enabled, external: n.external, mtu: n.mtu,
      }, n.description, n.revision_number);
      const segment = ((db.one('SELECT MAX(segmentation_id) AS m FROM network_segments')?.m as number | null) ?? 0) + 1;
      db.run('INSERT INTO network_segments (id, network_id, network_type, segmentation_id, std_id) VALUES (?, ?, ?, ?, ?)',
        newId(), n.id, 'vxlan', segment, newStd(db, 'segments', null));
      // creating the segment revises the network
      revise(db, stdId, { bump: 1 });
      this.changed(n.id, 'create');
      return this.read(n.id)!;
    });
  }

  update(id: string, changes: NetworkChanges, revision: Revision): Promise<Network> {
    return this.sql.exec(() => {
      this.setColumns(id, changes);
      revise(this.sql.db, this.stdId(id), revision);
      this.changed(id, 'update');
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      this.sql.db.run('DELETE FROM subnets WHERE network_id = ?', id);
      this.deleteRow(id);
    });
  }
}
