/**
 * What the API needs from each resource: the Neutron plugin calls. Every
 * method runs against the store; writes are called inside one transaction.
 */
import { type Body, type Context, type ResourceSpec } from '../model/schema.js';

export type View = Record<string, unknown>;

export interface Handler {
  spec: ResourceSpec;
  /** every item the caller may see, as full views; `filters` only for side effects (default groups) */
  list(ctx: Context, filters: Map<string, string[]>): View[];
  show(ctx: Context, id: string): View;
  create(ctx: Context, item: Body): View;
  update(ctx: Context, id: string, item: Body): View;
  remove(ctx: Context, id: string): void;
  /** current revision, for If-Match; throws the resource's 404 */
  revision(ctx: Context, id: string): number;
}

/** The project a new resource belongs to: the caller's, unless an admin names another. */
export function owningProject(ctx: Context, item: Body): string {
  const asked = (item.project_id ?? item.tenant_id) as string | undefined;
  return asked && ctx.isAdmin ? asked : ctx.projectId;
}
