/**
 * Neutron's quota engine (DbQuotaNoLockDriver): a project's limits are the
 * server's defaults with what an admin set for it; a create goes through when
 * what the project owns plus what it asks for stays within each limit. Counted
 * in the caller's transaction, so two creates cannot both take the last unit.
 */
import { errors } from '../model/errors.js';
import { isQuotaResource, type Limits, QUOTA_DEFAULTS, QUOTA_RESOURCES, type QuotaResource } from '../model/quota.js';
import { type Repositories } from './repository.js';

export interface Usage {
  limit: number;
  used: number;
  /** Neutron's reservations in flight: none outlive a portsec transaction */
  reserved: number;
}

export class Quotas {
  constructor(readonly defaults: Limits) {}

  async limits(db: Repositories, projectId: string): Promise<Limits> {
    return this.withSet(await db.quotas.of(projectId));
  }

  /** the defaults with the limits set (resources no longer registered dropped) */
  withSet(set: Map<string, number>): Limits {
    const out = { ...this.defaults };
    for (const [resource, limit] of set) if (isQuotaResource(resource)) out[resource] = limit;
    return out;
  }

  /**
   * make_reservation (the API's create) and quota_limit_check (a group's own rules):
   * OverQuota naming, sorted, every resource the deltas would take past its limit.
   * Resources with no quota (address groups, say) are not checked, as Neutron's
   * QuotaResourceUnknown is passed over.
   */
  async check(db: Repositories, projectId: string, deltas: Partial<Record<string, number>>): Promise<void> {
    const asked = Object.entries(deltas).filter((d): d is [QuotaResource, number] => isQuotaResource(d[0]) && d[1]! > 0);
    if (!asked.length) return;
    const limits = await this.limits(db, projectId);
    const overs: string[] = [];
    for (const [resource, delta] of asked) {
      // any negative limit is unlimited
      if (limits[resource] >= 0 && (await db.quotas.used(projectId, resource)) + delta > limits[resource]) overs.push(resource);
    }
    if (overs.length) throw errors.overQuota(overs.sort());
  }

  /**
   * The API's reservation for a create (the pecan quota hook): the items counted by
   * the project each names, checked project by project before any is made.
   */
  async reserve(db: Repositories, resource: string, projects: readonly string[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const p of projects) counts.set(p, (counts.get(p) ?? 0) + 1);
    for (const [project, n] of counts) await this.check(db, project, { [resource]: n });
  }

  async details(db: Repositories, projectId: string): Promise<Record<QuotaResource, Usage>> {
    const limits = await this.limits(db, projectId);
    const out = {} as Record<QuotaResource, Usage>;
    for (const r of QUOTA_RESOURCES) out[r] = { limit: limits[r], used: await db.quotas.used(projectId, r), reserved: 0 };
    return out;
  }
}

/** The engine with neutron.conf's defaults (a server given no --quota) */
export const NEUTRON_QUOTAS = new Quotas(QUOTA_DEFAULTS);
