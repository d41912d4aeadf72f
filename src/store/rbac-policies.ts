/**
 * RBAC policies on security groups: Neutron's RbacPluginMixin with the security
 * group's callbacks (objects/rbac_db.py validate_rbac_policy_change), in their order.
 */
import { errors } from '../model/errors.js';
import {
  ACCESS_SHARED, callbackFailed, RBAC_ACTIONS, type RbacObjectType, type RbacPolicy, rbacPolicySpec, rbacPolicyView, WILDCARD,
} from '../model/rbac-policy.js';
import { type Body, type Context } from '../model/schema.js';
import { readerOf } from './access.js';
import { type Column, type Handler, owningProject } from './handler.js';
import { newId } from './ids.js';
import { type RbacField, type Repositories } from './repository.js';

const COLUMNS: Record<string, Column> = Object.fromEntries(
  (['id', 'project_id', 'object_type', 'object_id', 'action'] as RbacField[]).map((f) => [f, { field: f, type: 'text' }]),
);

/** policy.json's create_rbac_policy:target_tenant (and update's): the wildcard is an admin's */
function wildcardRule(ctx: Context, target: unknown, rule: string): void {
  if (target === WILDCARD && !ctx.isAdmin) throw errors.policy(rule);
}

/**
 * _validate_rbac_policy_delete: a target may lose the group unless one of its ports
 * uses it (a wildcard policy covers it); the wildcard may go only if each project
 * using the group (its owner's ports too) keeps a policy of its own.
 */
async function checkNotInUse(db: Repositories, p: RbacPolicy): Promise<void> {
  if (p.action !== ACCESS_SHARED) return;
  const group = (await db.securityGroups.get(p.object_id))!;
  if (group.project_id === p.target_project) return;
  const ports = await db.ports.getMany(await db.securityGroups.members(p.object_id));
  const bound = new Set(ports.map((port) => port.project_id));
  const sharing = (await db.rbacPolicies.list({ where: { object_id: [p.object_id], action: [ACCESS_SHARED] } })).map((o) => o.target_project);
  const inUse = p.target_project === WILDCARD
    ? [...bound].some((project) => !sharing.includes(project))
    : !sharing.includes(WILDCARD) && bound.has(p.target_project);
  if (inUse) {
    throw errors.rbacInUse(p.object_id, callbackFailed(errors.rbacInUse(p.object_id, `project_id=${p.target_project}`).message));
  }
}

/** validate_rbac_policy_change on create and update: the object's owner, or an admin */
function checkOwner(ctx: Context, ownerProject: string): void {
  if (!ctx.isAdmin && ownerProject !== ctx.projectId) {
    throw errors.invalidInput(callbackFailed(errors.invalidInput('Only admins can manipulate policies on objects they do not own').message));
  }
}

export function rbacPolicyHandler(): Handler {
  /**
   * The object type a policy's 404 names: Neutron scans its RBAC tables for the id
   * (as the caller) and caches the type of each policy it found, for the process's life.
   */
  const typed = new Map<string, RbacObjectType>();

  async function visiblePolicy(db: Repositories, ctx: Context, id: string): Promise<RbacPolicy> {
    const p = await db.rbacPolicies.get(id, readerOf(ctx));
    if (!p) throw errors.rbacNotFound(typed.get(id) ?? 'unknown', id);
    typed.set(id, p.object_type);
    return p;
  }

  return {
    spec: rbacPolicySpec,
    columns: { ...COLUMNS, tenant_id: { field: 'project_id', type: 'text' }, target_tenant: { field: 'target_project', type: 'text' } },
    list: async (db, ctx, query) => (await db.rbacPolicies.list({ where: query?.where, visibleTo: readerOf(ctx) })).map(rbacPolicyView),
    show: async (db, ctx, id) => rbacPolicyView(await visiblePolicy(db, ctx, id)),
    async create(db, ctx, item: Body) {
      const asked = (item.project_id ?? item.tenant_id) as string | undefined;
      if (asked !== undefined && asked !== ctx.projectId && !ctx.isAdmin) {
        throw errors.badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges");
      }
      wildcardRule(ctx, item.target_tenant,
        '((((rule:create_rbac_policy and rule:create_rbac_policy:object_type) and rule:create_rbac_policy:object_id) and rule:create_rbac_policy:target_tenant) and rule:create_rbac_policy:action)');
      // the type's attribute has no default but None, which Neutron's plugin cannot look up
      if (item.object_type === null) throw errors.internal();
      const type = item.object_type as RbacObjectType;
      const group = await db.securityGroups.get(item.object_id as string);
      if (!group) throw errors.invalidInput(callbackFailed("'NoneType' object is not subscriptable"));
      checkOwner(ctx, group.project_id);
      const valid = RBAC_ACTIONS[type];
      if (!(valid as readonly string[]).includes(item.action as string)) throw errors.rbacInvalidAction(item.action as string, type, valid);
      const created = await db.rbacPolicies.create({
        id: newId(), project_id: owningProject(ctx, item), object_type: type, object_id: group.id, action: item.action as string,
        target_project: item.target_tenant as string,
      });
      if (!created) throw errors.rbacDuplicate();
      return rbacPolicyView(created);
    },
    async update(db, ctx, id, item) {
      const p = await visiblePolicy(db, ctx, id);
      wildcardRule(ctx, item.target_tenant, '(rule:update_rbac_policy and rule:update_rbac_policy:target_tenant)');
      checkOwner(ctx, (await db.securityGroups.get(p.object_id))!.project_id);
      // validate_rbac_policy_update reads the new target: a body without one fails on the missing key
      if (!('target_tenant' in item)) throw errors.rbacInUse(p.object_id, callbackFailed("'target_project'"));
      const target = item.target_tenant as string;
      if (target === p.target_project) return rbacPolicyView(p);
      // moving the policy to another project takes the group from its target
      if (target !== WILDCARD) await checkNotInUse(db, p);
      return rbacPolicyView(await db.rbacPolicies.setTarget(id, target));
    },
    async remove(db, ctx, id) {
      const p = await visiblePolicy(db, ctx, id);
      await checkNotInUse(db, p);
      await db.rbacPolicies.remove(id);
    },
    // a policy has no standard attributes, so no revision of its own: If-Match can only name 0
    revision: async (db, ctx, id) => {
      await visiblePolicy(db, ctx, id);
      return 0;
    },
  };
}
