/** Security groups and each project's default one, in SQLite. */
import { type SecurityGroup } from '../../model/security-group.js';
import { type GroupChanges, type GroupField, type ListQuery, type New, type Revision, type SecurityGroupRepository } from '../repository.js';
import { type Row } from './database.js';
import { changed, type Listing, listRows, newStd, revise, type Sql, STD_COLUMNS, STD_FIELDS, std } from './rows.js';

const LISTING: Listing<GroupField> = {
  select: `g.*, ${STD_COLUMNS}`,
  from: 'FROM security_groups g JOIN standard_attrs s ON s.id = g.std_id',
  id: 'g.id',
  fields: { id: 'g.id', project_id: 'g.project_id', name: 'g.name', stateful: 'g.stateful', ...STD_FIELDS },
  visible: 'g.project_id = ?',
};

const record = (r: Row): SecurityGroup => Object.assign(std(r), { id: r.id as string, project_id: r.project_id as string, name: r.name as string, stateful: !!r.stateful });

export class SqliteSecurityGroups implements SecurityGroupRepository {
  constructor(private readonly sql: Sql) {}

  private read(id: string, visibleTo?: string): SecurityGroup | undefined {
    return listRows(this.sql.db, LISTING, { where: { id: [id] }, visibleTo }).map(record)[0];
  }

  private stdId(id: string): number {
    return this.sql.db.one('SELECT std_id FROM security_groups WHERE id = ?', id)!.std_id as number;
  }

  get(id: string, visibleTo?: string): Promise<SecurityGroup | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  list(q?: ListQuery<GroupField>): Promise<SecurityGroup[]> {
    return this.sql.exec(() => listRows(this.sql.db, LISTING, q).map(record));
  }

  create(g: New<SecurityGroup>, isDefault: boolean): Promise<SecurityGroup> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      db.run('INSERT INTO security_groups (id, project_id, name, stateful, std_id) VALUES (?, ?, ?, ?, ?)',
        g.id, g.project_id, g.name, g.stateful ? 1 : 0, newStd(db, 'securitygroups', g.description, g.revision_number));
      if (isDefault) db.run('INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)', g.project_id, g.id);
      changed(db, 'security_group', g.id, 'create');
      return this.read(g.id)!;
    });
  }

  update(id: string, changes: GroupChanges, revision: Revision): Promise<SecurityGroup> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      if (changes.name !== undefined) db.run('UPDATE security_groups SET name = ? WHERE id = ?', changes.name, id);
      if (changes.stateful !== undefined) db.run('UPDATE security_groups SET stateful = ? WHERE id = ?', changes.stateful ? 1 : 0, id);
      revise(db, this.stdId(id), revision);
      changed(db, 'security_group', id, 'update');
      return this.read(id)!;
    });
  }

  revise(id: string, revision: Revision): Promise<void> {
    return this.sql.exec(() => revise(this.sql.db, this.stdId(id), revision));
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      // the group's rules go with it (ON DELETE CASCADE): their deletions are logged too
      for (const r of db.all('SELECT id FROM security_group_rules WHERE security_group_id = ? ORDER BY std_id', id)) {
        changed(db, 'security_group_rule', r.id as string, 'delete', id);
      }
      db.run('DELETE FROM security_groups WHERE id = ?', id);
      changed(db, 'security_group', id, 'delete');
    });
  }

  defaultOf(projectId: string): Promise<string | undefined> {
    return this.sql.exec(() => this.sql.db.one('SELECT security_group_id FROM default_security_groups WHERE project_id = ?', projectId)
      ?.security_group_id as string | undefined);
  }

  isDefault(id: string): Promise<boolean> {
    return this.sql.exec(() => !!this.sql.db.one('SELECT 1 FROM default_security_groups WHERE security_group_id = ?', id));
  }

  members(id: string): Promise<string[]> {
    return this.sql.exec(() => this.sql.db.all('SELECT port_id FROM port_security_groups WHERE security_group_id = ?', id).map((r) => r.port_id as string));
  }

  memberPairAddresses(id: string): Promise<string[]> {
    return this.sql.exec(() => this.sql.db.all(`SELECT a.ip_address FROM port_security_groups g JOIN allowed_address_pairs a ON a.port_id = g.port_id
      WHERE g.security_group_id = ?`, id).map((r) => r.ip_address as string));
  }

  pairHolders(id: string): Promise<string[]> {
    return this.sql.exec(() => this.sql.db.all(`SELECT DISTINCT g.port_id FROM port_security_groups g JOIN allowed_address_pairs a ON a.port_id = g.port_id
      WHERE g.security_group_id = ?`, id).map((r) => r.port_id as string));
  }
}
