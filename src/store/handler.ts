/**
 * What the API needs from each resource: the Neutron plugin calls, on the
 * repositories they are handed. Writes are called inside one transaction
 * (and handed its repositories); so are lists, which may create a project's
 * default group.
 */
import { type Body, type Context, type ResourceSpec } from '../model/schema.js';
import { type Repositories } from './repository.js';

export type View = Record<string, unknown>;

export interface Handler {
  spec: ResourceSpec;
  /** every item the caller may see, as full views; `filters` only for side effects (default groups) */
  list(db: Repositories, ctx: Context, filters: Map<string, string[]>): Promise<View[]>;
  show(db: Repositories, ctx: Context, id: string): Promise<View>;
  create(db: Repositories, ctx: Context, item: Body): Promise<View>;
  update(db: Repositories, ctx: Context, id: string, item: Body): Promise<View>;
  remove(db: Repositories, ctx: Context, id: string): Promise<void>;
  /** current revision, for If-Match; throws the resource's 404 */
  revision(db: Repositories, ctx: Context, id: string): Promise<number>;
}

/** The project a new resource belongs to: the caller's, unless an admin names another. */
export function owningProject(ctx: Context, item: Body): string {
  const asked = (item.project_id ?? item.tenant_id) as string | undefined;
  return asked && ctx.isAdmin ? asked : ctx.projectId;
}
