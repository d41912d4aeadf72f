/** Security group rules in SQLite. */
import { type Rule } from '../../model/security-group-rule.js';
import { type New, type Revision, type RuleField, type RuleRepository } from '../repository.js';
import { SqliteResource, type Table } from './resource.js';
import { revise, type Sql, std } from './rows.js';

const RULES: Table<Rule, RuleField> = {
  name: 'security_group_rules',
  alias: 'r',
  columns: {
    project_id: true, security_group_id: true, remote_group_id: true, direction: true, ethertype: true, protocol: true,
    port_range_min: true, port_range_max: true, remote_ip_prefix: true, remote_address_group_id: true,
  },
  // the rule's own project, or its group's
  visible: 'r.project_id = ? OR EXISTS (SELECT 1 FROM security_groups g WHERE g.id = r.security_group_id AND g.project_id = ?)',
  resource: 'security_group_rule',
  stdType: 'securitygrouprules',
  decode: (r) => Object.assign(std(r), {
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
    remote_address_group_id: r.remote_address_group_id as string | null,
  }),
};

export class SqliteRules extends SqliteResource<Rule, RuleField> implements RuleRepository {
  constructor(sql: Sql) {
    super(sql, RULES);
  }

  create(r: New<Rule>): Promise<Rule> {
    return this.sql.exec(() => {
      this.insert({
        id: r.id, project_id: r.project_id, security_group_id: r.security_group_id, remote_group_id: r.remote_group_id, direction: r.direction,
        ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.port_range_min, port_range_max: r.port_range_max, remote_ip_prefix: r.remote_ip_prefix,
        remote_address_group_id: r.remote_address_group_id,
      }, r.description, r.revision_number);
      this.changed(r.id, 'create', r.security_group_id);
      return this.read(r.id)!;
    });
  }

  /** the rule's group: what its changes are logged under */
  private group(id: string): string | undefined {
    return this.sql.db.one('SELECT security_group_id FROM security_group_rules WHERE id = ?', id)?.security_group_id as string | undefined;
  }

  update(id: string, revision: Revision): Promise<Rule> {
    return this.sql.exec(() => {
      revise(this.sql.db, this.stdId(id), revision);
      this.changed(id, 'update', this.group(id)!);
      return this.read(id)!;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => this.deleteRow(id, this.group(id) ?? null));
  }
}
