/** Quota limits per project, and the counts of what each project owns, in SQLite. */
import { type QuotaResource } from '../../model/quota.js';
import { type QuotaRepository, type StoredQuota } from '../repository.js';
import { type Sql } from './rows.js';

/** Where each counted resource is stored; resources portsec does not serve (subnet pools, say) own none. */
const TABLES: Partial<Record<QuotaResource, string>> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  security_group: 'security_groups',
  security_group_rule: 'security_group_rules',
  rbac_policy: 'security_group_rbacs',
};

export class SqliteQuotas implements QuotaRepository {
  constructor(private readonly sql: Sql) {}

  of(projectId: string): Promise<Map<string, number>> {
    return this.sql.exec(() => new Map(this.sql.db.all('SELECT resource, "limit" FROM quotas WHERE project_id = ?', projectId)
      .map((r) => [r.resource as string, r.limit as number])));
  }

  all(): Promise<StoredQuota[]> {
    return this.sql.exec(() => this.sql.db.all(`SELECT project_id, resource, "limit" FROM quotas q
      ORDER BY (SELECT MIN(rowid) FROM quotas f WHERE f.project_id = q.project_id), rowid`) as unknown as StoredQuota[]);
  }

  set(projectId: string, resource: string, limit: number): Promise<void> {
    return this.sql.exec(() => void this.sql.db.run(`INSERT INTO quotas (project_id, resource, "limit") VALUES (?, ?, ?)
      ON CONFLICT(project_id, resource) DO UPDATE SET "limit" = excluded."limit"`, projectId, resource, limit));
  }

  remove(projectId: string): Promise<number> {
    return this.sql.exec(() => this.sql.db.run('DELETE FROM quotas WHERE project_id = ?', projectId));
  }

  used(projectId: string, resource: QuotaResource): Promise<number> {
    const table = TABLES[resource];
    if (!table) return Promise.resolve(0);
    return this.sql.exec(() => this.sql.db.one(`SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ?`, projectId)!.n as number);
  }
}
