/** Security group rules in SQLite. */
import { type Rule } from '../../model/security-group-rule.js';
import { type ListQuery, type New, type Revision, type RuleField, type RuleRepository } from '../repository.js';
import { type Row } from './database.js';
import { changed, type Listing, listRows, newStd, revise, type Sql, STD_COLUMNS, STD_FIELDS, std } from './rows.js';

const LISTING: Listing<RuleField> = {
  select: `r.*, ${STD_COLUMNS}`,
  from: 'FROM security_group_rules r JOIN standard_attrs s ON s.id = r.std_id',
  id: 'r.id',
  fields: {
    id: 'r.id', project_id: 'r.project_id', security_group_id: 'r.security_group_id', remote_group_id: 'r.remote_group_id',
    direction: 'r.direction', ethertype: 'r.ethertype', protocol: 'r.protocol', port_range_min: 'r.port_range_min',
    port_range_max: 'r.port_range_max', remote_ip_prefix: 'r.remote_ip_prefix', ...STD_FIELDS,
  },
  // the rule's own project, or its group's
  visible: 'r.project_id = ? OR EXISTS (SELECT 1 FROM security_groups g WHERE g.id = r.security_group_id AND g.project_id = ?)',
};

const record = (r: Row): Rule => Object.assign(std(r), {
  id: r.id as string,
  project_id: r.project_id as string,
  security_group_id: r.security_group_id as string,
  direction: r.direction as Rule['direction'],
  ethertype: r.ethertype as Rule['ethertype'],
  protocol: r.protocol as string | null,
  port_range_min: r.port_range_min as number | null,
  port_range_max: r.port_range_max as number | null,
  remote_ip_prefix: r.remote_ip_prefix as string | null,
  remote_group_id: r.remote_group_id as string | null,
});

export class SqliteRules implements RuleRepository {
  constructor(private readonly sql: Sql) {}

  private read(id: string, visibleTo?: string): Rule | undefined {
    return listRows(this.sql.db, LISTING, { where: { id: [id] }, visibleTo }).map(record)[0];
  }

  get(id: string, visibleTo?: string): Promise<Rule | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  list(q?: ListQuery<RuleField>): Promise<Rule[]> {
    return this.sql.exec(() => listRows(this.sql.db, LISTING, q).map(record));
  }

  create(r: New<Rule>): Promise<Rule> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      db.run(`INSERT INTO security_group_rules (id, project_id, security_group_id, remote_group_id, direction, ethertype, protocol,
        port_range_min, port_range_max, remote_ip_prefix, std_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.project_id, r.security_group_id, r.remote_group_id, r.direction, r.ethertype, r.protocol,
      r.port_range_min, r.port_range_max, r.remote_ip_prefix, newStd(db, 'securitygrouprules', r.description, r.revision_number));
      changed(db, 'security_group_rule', r.id, 'create', r.security_group_id);
      return this.read(r.id)!;
    });
  }

  update(id: string, revision: Revision): Promise<Rule> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const row = db.one('SELECT std_id, security_group_id FROM security_group_rules WHERE id = ?', id)!;
      revise(db, row.std_id as number, revision);
      changed(db, 'security_group_rule', id, 'update', row.security_group_id as string);
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const group = db.one('SELECT security_group_id FROM security_group_rules WHERE id = ?', id)?.security_group_id as string | undefined;
      db.run('DELETE FROM security_group_rules WHERE id = ?', id);
      changed(db, 'security_group_rule', id, 'delete', group ?? null);
    });
  }
}
