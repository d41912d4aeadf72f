/** Security groups and each project's default one, in SQLite. */
import { type SecurityGroup } from '../../model/security-group.js';
import { type GroupChanges, type GroupField, type New, type Revision, type SecurityGroupRepository } from '../repository.js';
import { SqliteResource, type Table } from './resource.js';
import { changed, revise, type Sql, std } from './rows.js';

const GROUPS: Table<SecurityGroup, GroupField> = {
  name: 'security_groups',
  alias: 'g',
  columns: { project_id: true, name: true, stateful: true },
  // its own project's, or shared with the project by name or by the wildcard
  visible: `g.project_id = ? OR EXISTS (SELECT 1 FROM security_group_rbacs x WHERE x.object_id = g.id AND x.action = 'access_as_shared'
    AND x.target_project IN (?, '*'))`,
  resource: 'security_group',
  stdType: 'securitygroups',
  decode: (r) => Object.assign(std(r), { id: r.id as string, project_id: r.project_id as string, name: r.name as string, stateful: !!r.stateful }),
};

export class SqliteSecurityGroups extends SqliteResource<SecurityGroup, GroupField> implements SecurityGroupRepository {
  constructor(sql: Sql) {
    super(sql, GROUPS);
  }

  create(g: New<SecurityGroup>, isDefault: boolean): Promise<SecurityGroup> {
    return this.sql.exec(() => {
      this.insert({ id: g.id, project_id: g.project_id, name: g.name, stateful: g.stateful }, g.description, g.revision_number);
      if (isDefault) this.sql.db.run('INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)', g.project_id, g.id);
      this.changed(g.id, 'create');
      return this.read(g.id)!;
    });
  }

  update(id: string, changes: GroupChanges, revision: Revision): Promise<SecurityGroup> {
    return this.sql.exec(() => {
      this.setColumns(id, changes);
      revise(this.sql.db, this.stdId(id), revision);
      this.changed(id, 'update');
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
      this.deleteRow(id);
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
