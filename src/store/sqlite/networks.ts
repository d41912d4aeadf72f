/** Networks, each with its one VXLAN segment, in SQLite. */
import { type Network } from '../../model/network.js';
import { newId } from '../ids.js';
import { type ListQuery, type NetworkChanges, type NetworkField, type NetworkRepository, type New, type Revision } from '../repository.js';
import { type Row } from './database.js';
import { changed, groupBy, type Listing, listRows, newStd, revise, type Sql, STD_COLUMNS, STD_FIELDS, std } from './rows.js';

const LISTING: Listing<NetworkField> = {
  select: `n.*, g.segmentation_id, ${STD_COLUMNS}`,
  from: 'FROM networks n JOIN standard_attrs s ON s.id = n.std_id JOIN network_segments g ON g.network_id = n.id',
  id: 'n.id',
  fields: {
    id: 'n.id', project_id: 'n.project_id', name: 'n.name', admin_state_up: 'n.admin_state_up', shared: 'n.shared',
    port_security_enabled: 'n.port_security_enabled', external: 'n.external', mtu: 'n.mtu', ...STD_FIELDS,
  },
  visible: 'n.project_id = ? OR n.shared = 1',
};

const COLUMNS: Record<keyof NetworkChanges, string> = {
  name: 'name', admin_state_up: 'admin_state_up', shared: 'shared', port_security_enabled: 'port_security_enabled', external: 'external', mtu: 'mtu',
};

export class SqliteNetworks implements NetworkRepository {
  constructor(private readonly sql: Sql) {}

  private records(rows: Row[]): Network[] {
    const { db } = this.sql;
    const subnets = groupBy(rows.length === 1
      ? db.all('SELECT id, network_id FROM subnets WHERE network_id = ? ORDER BY std_id', rows[0].id)
      : db.all('SELECT id, network_id FROM subnets ORDER BY std_id'), (r) => r.network_id as string);
    return rows.map((r) => Object.assign(std(r), {
      id: r.id as string,
      project_id: r.project_id as string,
      name: r.name as string,
      admin_state_up: !!r.admin_state_up,
      shared: !!r.shared,
      port_security_enabled: !!r.port_security_enabled,
      external: !!r.external,
      mtu: r.mtu as number,
      segmentation_id: r.segmentation_id as number,
      subnets: (subnets.get(r.id as string) ?? []).map((s) => s.id as string),
    }));
  }

  private read(id: string, visibleTo?: string): Network | undefined {
    return this.records(listRows(this.sql.db, LISTING, { where: { id: [id] }, visibleTo }))[0];
  }

  get(id: string, visibleTo?: string): Promise<Network | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  list(q?: ListQuery<NetworkField>): Promise<Network[]> {
    return this.sql.exec(() => this.records(listRows(this.sql.db, LISTING, q)));
  }

  create(n: Omit<New<Network>, 'segmentation_id' | 'subnets'>): Promise<Network> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const stdId = newStd(db, 'networks', n.description, n.revision_number);
      db.run(`INSERT INTO networks (id, project_id, name, admin_state_up, shared, port_security_enabled, external, mtu, std_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      n.id, n.project_id, n.name, n.admin_state_up ? 1 : 0, n.shared ? 1 : 0, n.port_security_enabled ? 1 : 0, n.external ? 1 : 0, n.mtu, stdId);
      const segment = ((db.one('SELECT MAX(segmentation_id) AS m FROM network_segments')?.m as number | null) ?? 0) + 1;
      db.run('INSERT INTO network_segments (id, network_id, network_type, segmentation_id, std_id) VALUES (?, ?, ?, ?, ?)',
        newId(), n.id, 'vxlan', segment, newStd(db, 'segments', null));
      // creating the segment revises the network
      revise(db, stdId, { bump: 1 });
      changed(db, 'network', n.id, 'create');
      return this.read(n.id)!;
    });
  }

  update(id: string, changes: NetworkChanges, revision: Revision): Promise<Network> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      for (const [field, v] of Object.entries(changes) as [keyof NetworkChanges, unknown][]) {
        db.run(`UPDATE networks SET ${COLUMNS[field]} = ? WHERE id = ?`, typeof v === 'boolean' ? (v ? 1 : 0) : v, id);
      }
      revise(db, this.stdId(id), revision);
      changed(db, 'network', id, 'update');
      return this.read(id)!;
    });
  }

  private stdId(id: string): number {
    return this.sql.db.one('SELECT std_id FROM networks WHERE id = ?', id)!.std_id as number;
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      this.sql.db.run('DELETE FROM subnets WHERE network_id = ?', id);
      this.sql.db.run('DELETE FROM networks WHERE id = ?', id);
      changed(this.sql.db, 'network', id, 'delete');
    });
  }
}
