/**
 * What the API needs from each resource: the Neutron plugin calls, on the
 * repositories they are handed. Writes are called inside one transaction
 * (and handed its repositories); reads on one snapshot. A list that must write
 * first (a project's default group) says so in beforeList.
 */
import { type Body, type Context, type ResourceSpec } from '../model/schema.js';
import { type ListQuery, type Repositories } from './repository.js';

export type View = Record<string, unknown>;

/**
 * An API attribute whose view value is a stored field as it is: what a filter or
 * sort on it becomes in a repository query. `text?` and `int?` may be null.
 */
export interface Column {
  field: string;
  type: 'text' | 'text?' | 'bool' | 'int' | 'int?';
}

/** The attributes every resource shows as stored (all but rules also `name`: NAME_COLUMN). */
export const COMMON_COLUMNS: Record<string, Column> = {
  id: { field: 'id', type: 'text' },
  project_id: { field: 'project_id', type: 'text' },
  tenant_id: { field: 'project_id', type: 'text' },
  description: { field: 'description', type: 'text?' },
  revision_number: { field: 'revision_number', type: 'int' },
  created_at: { field: 'created_at', type: 'text' },
  updated_at: { field: 'updated_at', type: 'text' },
};

/**
 * An API attribute that is a list the store holds as a set field: what a filter
 * on it becomes in a repository query. `set`: a filter value is a member;
 * `keys`: a list of objects filtered by `key=value` values (Neutron's fixed_ips),
 * each key on the set field it names, `like` as part of a member; other keys are ignored.
 */
export type SetColumn = { set: string } | { keys: Record<string, { set: string; like?: true }> };

export const NAME_COLUMN: Record<string, Column> = { name: { field: 'name', type: 'text' } };

export interface Handler {
  spec: ResourceSpec;
  /** the attributes a repository can filter and sort on (see Column) */
  columns: Record<string, Column>;
  /** the list attributes a repository can filter on (see SetColumn) */
  sets?: Record<string, SetColumn>;
  /**
   * The write a list needs before it reads (Neutron's security group and rule lists
   * create the listed project's default group): the write, to run in a transaction of
   * its own, or undefined when there is none to make (only reads `db`).
   */
  beforeList?(db: Repositories, ctx: Context, filters: Map<string, string[]>): Promise<((tx: Repositories) => Promise<unknown>) | undefined>;
  /** The items the caller may see, as full views: all of them, or what `query` (in the repository's fields) selects. */
  list(db: Repositories, ctx: Context, query?: ListQuery<string, string>): Promise<View[]>;
  show(db: Repositories, ctx: Context, id: string): Promise<View>;
  create(db: Repositories, ctx: Context, item: Body): Promise<View>;
  update(db: Repositories, ctx: Context, id: string, item: Body): Promise<View>;
  remove(db: Repositories, ctx: Context, id: string): Promise<void>;
  /** current revision, for If-Match; throws the resource's 404 */
  revision(db: Repositories, ctx: Context, id: string): Promise<number>;
  /**
   * Member actions (Neutron's ACTION_MAP, all PUT `/{id}/{action}`): the raw body in, the
   * plugin's answer out, as Neutron's API layer passes both (no attribute map, no view).
   */
  actions?: Record<string, (db: Repositories, ctx: Context, id: string, body: unknown) => Promise<View>>;
  /** false: the plugin has no bulk create (ML2's create_address_group_bulk is missing): a valid bulk body is Neutron 21's 500 */
  bulk?: false;
  /**
   * An empty update writes the object all the same (a subnet's), so If-Match holds it;
   * otherwise an empty update writes nothing and no revision constraint is checked.
   */
  writesWhenEmpty?: boolean;
}

/** The project a new resource belongs to: the caller's, unless an admin names another. */
export function owningProject(ctx: Context, item: Body): string {
  const asked = (item.project_id ?? item.tenant_id) as string | undefined;
  return asked && ctx.isAdmin ? asked : ctx.projectId;
}
