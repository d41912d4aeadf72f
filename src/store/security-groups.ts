/** Security groups: the project default group, create/update/delete with Neutron's protections. */
import { errors } from '../model/errors.js';
import { type Body, type Context } from '../model/schema.js';
import {
  DEFAULT_SG_DESCRIPTION, DEFAULT_SG_NAME, initialRules, type SecurityGroup, securityGroupSpec, securityGroupView,
} from '../model/security-group.js';
import { type Rule } from '../model/security-group-rule.js';
import { owns, readerOf } from './access.js';
import { COMMON_COLUMNS, type Handler, NAME_COLUMN, owningProject, type View } from './handler.js';
import { newId } from './ids.js';
import { NEUTRON_QUOTAS, type Quotas } from './quotas.js';
import { type GroupChanges, type GroupField, type ListQuery, type Repositories } from './repository.js';

async function insertGroup(
  db: Repositories, quotas: Quotas, projectId: string, name: string, description: string, stateful: boolean, isDefault: boolean,
): Promise<string> {
  const id = newId();
  const rules = initialRules(id, isDefault);
  // create_security_group checks the group's own rules against the rule quota (the group itself is the API's to count)
  await quotas.check(db, projectId, { security_group_rule: rules.length });
  await db.securityGroups.create({ id, project_id: projectId, name, stateful, description }, isDefault);
  for (const r of rules) {
    await db.rules.create({ ...r, id: newId(), project_id: projectId, security_group_id: id, description: null });
  }
  // adding the rules revises the group once
  await db.securityGroups.revise(id, { bump: 1 });
  return id;
}

/** _ensure_default_security_group: creates the project's default group on first need. */
export async function ensureDefaultGroup(db: Repositories, quotas: Quotas, projectId: string): Promise<string> {
  return (await db.securityGroups.defaultOf(projectId))
    ?? insertGroup(db, quotas, projectId, DEFAULT_SG_NAME, DEFAULT_SG_DESCRIPTION, true, true);
}

/**
 * Neutron lists trigger the default group of the listed project (never another
 * project's, for a member): its creation when it has none (a Handler's beforeList).
 */
export function defaultGroupForListing(quotas: Quotas): NonNullable<Handler['beforeList']> {
  return async (db, ctx, filters) => {
    const asked = filters.get('project_id')?.[0] ?? filters.get('tenant_id')?.[0];
    const project = asked && (ctx.isAdmin || asked === ctx.projectId) ? asked : ctx.projectId;
    if (!project || await db.securityGroups.defaultOf(project)) return undefined;
    return (tx: Repositories) => ensureDefaultGroup(tx, quotas, project);
  };
}

/** A group the caller sees: its project's, one shared with it, or any (an admin). */
export async function visibleGroup(db: Repositories, ctx: Context, id: string): Promise<SecurityGroup> {
  const sg = await db.securityGroups.get(id, readerOf(ctx));
  if (!sg) throw errors.sgNotFound(id);
  return sg;
}

/** Up to this many groups, their rules are read by group id; beyond, all rules in one pass. */
const RULES_BY_GROUP = 500;

async function views(db: Repositories, ctx: Context, groups: SecurityGroup[]): Promise<View[]> {
  // one read of the rules for a listing, not one per group; by group for a page of them
  const rules = await db.rules.list(groups.length <= RULES_BY_GROUP ? { where: { security_group_id: groups.map((g) => g.id) } } : {});
  const byGroup = new Map<string, Rule[]>();
  for (const r of rules) {
    const list = byGroup.get(r.security_group_id);
    if (list) list.push(r);
    else byGroup.set(r.security_group_id, [r]);
  }
  const shared = await db.rbacPolicies.sharedWith(ctx.projectId);
  return groups.map((g) => securityGroupView(g, byGroup.get(g.id) ?? [], shared.has(g.id)));
}

const view = async (db: Repositories, ctx: Context, sg: SecurityGroup): Promise<View> => (await views(db, ctx, [sg]))[0];

/** A group the caller may change: one shared with its project it sees, but may not write (policy's admin_or_owner). */
async function ownGroup(db: Repositories, ctx: Context, id: string, rule: string): Promise<SecurityGroup> {
  const sg = await visibleGroup(db, ctx, id);
  if (!owns(ctx, sg.project_id)) throw errors.policy(rule);
  return sg;
}

export function securityGroupHandler(quotas: Quotas = NEUTRON_QUOTAS): Handler {
  return {
    spec: securityGroupSpec,
    columns: { ...COMMON_COLUMNS, ...NAME_COLUMN, stateful: { field: 'stateful', type: 'bool' } },
    beforeList: defaultGroupForListing(quotas),
    list: async (db, ctx, query) => views(db, ctx, await db.securityGroups.list({ ...query as ListQuery<GroupField>, visibleTo: readerOf(ctx) })),
    show: async (db, ctx, id) => view(db, ctx, await visibleGroup(db, ctx, id)),
    async create(db, ctx, item: Body) {
      const project = owningProject(ctx, item);
      await ensureDefaultGroup(db, quotas, project);
      const id = await insertGroup(db, quotas, project, item.name as string, item.description as string, item.stateful as boolean, false);
      return view(db, ctx, (await db.securityGroups.get(id))!);
    },
    async update(db, ctx, id, item) {
      const sg = await ownGroup(db, ctx, id, 'rule:update_security_group');
      if ('name' in item && await db.securityGroups.isDefault(id)) throw errors.sgCannotUpdateDefault();
      if ('stateful' in item && item.stateful !== sg.stateful && (await db.securityGroups.members(id)).length) throw errors.sgInUse(id);
      const changes: GroupChanges = {};
      if ('name' in item) changes.name = item.name as string;
      if ('stateful' in item) changes.stateful = item.stateful as boolean;
      const revision = { bump: Object.keys(item).length ? 1 : 0, description: item.description as string | undefined };
      return view(db, ctx, await db.securityGroups.update(id, changes, revision));
    },
    async remove(db, ctx, id) {
      await ownGroup(db, ctx, id, 'rule:delete_security_group');
      if ((await db.securityGroups.members(id)).length) throw errors.sgInUse(id);
      if (await db.securityGroups.isDefault(id) && !ctx.isAdmin) throw errors.sgCannotRemoveDefault();
      // rules elsewhere that name this group as their remote go with it, revising their groups
      for (const r of await db.rules.list({ where: { remote_group_id: [id] } })) {
        if (r.security_group_id === id) continue;
        await db.rules.remove(r.id);
        await db.securityGroups.revise(r.security_group_id, { bump: 1 });
      }
      await db.securityGroups.remove(id);
    },
    revision: async (db, ctx, id) => (await visibleGroup(db, ctx, id)).revision_number,
  };
}
