/** RBAC policies on security groups in SQLite (no standard attributes: Neutron's RBAC tables have none). */
import { ACCESS_SHARED, type RbacObjectType, type RbacPolicy, WILDCARD } from '../../model/rbac-policy.js';
import { type ListQuery, type RbacField, type RbacPolicyRepository } from '../repository.js';
import { type Row } from './database.js';
import { changed, type Sql } from './rows.js';

const OBJECT_TYPE: RbacObjectType = 'security_group';

const decode = (r: Row): RbacPolicy => ({
  id: r.id as string, project_id: r.project_id as string, object_type: OBJECT_TYPE, object_id: r.object_id as string,
  action: r.action as string, target_project: r.target_project as string,
});

export class SqliteRbacPolicies implements RbacPolicyRepository {
  constructor(private readonly sql: Sql) {}

  get(id: string, visibleTo?: string): Promise<RbacPolicy | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  private read(id: string, visibleTo?: string): RbacPolicy | undefined {
    return this.rows({ where: { id: [id] }, visibleTo })[0];
  }

  list(q: Pick<ListQuery<RbacField>, 'visibleTo' | 'where'> = {}): Promise<RbacPolicy[]> {
    return this.sql.exec(() => this.rows(q));
  }

  private rows(q: Pick<ListQuery<RbacField>, 'visibleTo' | 'where'>): RbacPolicy[] {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (q.visibleTo !== undefined) {
      conds.push('project_id = ?');
      params.push(q.visibleTo);
    }
    for (const [field, values] of Object.entries(q.where ?? {}) as [RbacField, readonly unknown[]][]) {
      if (field === 'object_type') {
        // one table, one type: the filter keeps all or nothing
        if (!values.includes(OBJECT_TYPE)) conds.push('0');
        continue;
      }
      conds.push(values.length ? `${field} IN (${values.map(() => '?').join(', ')})` : '0');
      params.push(...values);
    }
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    return this.sql.db.all(`SELECT * FROM security_group_rbacs ${where} ORDER BY rowid`, ...params).map(decode);
  }

  create(p: RbacPolicy): Promise<RbacPolicy | undefined> {
    return this.sql.exec(() => {
      const added = this.sql.db.run(`INSERT OR IGNORE INTO security_group_rbacs (id, project_id, object_id, action, target_project) VALUES (?, ?, ?, ?, ?)`,
        p.id, p.project_id, p.object_id, p.action, p.target_project);
      if (!added) return undefined;
      changed(this.sql.db, 'rbac_policy', p.id, 'create', p.object_id);
      return this.read(p.id);
    });
  }

  setTarget(id: string, target: string): Promise<RbacPolicy> {
    return this.sql.exec(() => {
      this.sql.db.run('UPDATE security_group_rbacs SET target_project = ? WHERE id = ?', target, id);
      const p = this.read(id)!;
      changed(this.sql.db, 'rbac_policy', id, 'update', p.object_id);
      return p;
    });
  }

  remove(id: string): Promise<void> {
    return this.sql.exec(() => {
      const p = this.read(id);
      this.sql.db.run('DELETE FROM security_group_rbacs WHERE id = ?', id);
      if (p) changed(this.sql.db, 'rbac_policy', id, 'delete', p.object_id);
    });
  }

  sharedWith(project: string): Promise<Set<string>> {
    return this.sql.exec(() => new Set(this.sql.db.all('SELECT DISTINCT object_id FROM security_group_rbacs WHERE action = ? AND target_project IN (?, ?)',
      ACCESS_SHARED, project, WILDCARD).map((r) => r.object_id as string)));
  }
}
