/** Security groups: the project default group, create/update/delete with Neutron's protections. */
import { errors } from '../model/errors.js';
import { type Body, type Context } from '../model/schema.js';
import {
  DEFAULT_SG_DESCRIPTION, DEFAULT_SG_NAME, initialRules, type SecurityGroup, securityGroupSpec, securityGroupView,
} from '../model/security-group.js';
import { owns } from './access.js';
import { type Handler, owningProject, type View } from './handler.js';
import { newId, type Store } from './store.js';

function insertGroup(store: Store, projectId: string, name: string, description: string, stateful: boolean, isDefault: boolean): string {
  const id = newId();
  const stdId = store.newStd('securitygroups', description);
  store.run('INSERT INTO security_groups (id, project_id, name, stateful, std_id) VALUES (?, ?, ?, ?, ?)', id, projectId, name, stateful ? 1 : 0, stdId);
  if (isDefault) store.run('INSERT INTO default_security_groups (project_id, security_group_id) VALUES (?, ?)', projectId, id);
  store.changed('security_group', id, 'create');
  for (const r of initialRules(id, isDefault)) {
    store.insertRule({ ...r, id: newId(), project_id: projectId, security_group_id: id }, null);
  }
  // adding the rules revises the group once
  store.bump(stdId);
  return id;
}

/** _ensure_default_security_group: creates the project's default group on first need. */
export function ensureDefaultGroup(store: Store, projectId: string): string {
  return store.defaultGroupId(projectId)
    ?? insertGroup(store, projectId, DEFAULT_SG_NAME, DEFAULT_SG_DESCRIPTION, true, true);
}

/** Neutron lists trigger the default group of the listed project (never another project's, for a member). */
export function ensureDefaultForListing(store: Store, ctx: Context, filters: Map<string, string[]>): void {
  const asked = filters.get('project_id')?.[0] ?? filters.get('tenant_id')?.[0];
  const project = asked && (ctx.isAdmin || asked === ctx.projectId) ? asked : ctx.projectId;
  if (project) ensureDefaultGroup(store, project);
}

export function visibleGroup(store: Store, ctx: Context, id: string): SecurityGroup {
  const sg = store.group(id);
  if (!sg || !owns(ctx, sg.project_id)) throw errors.sgNotFound(id);
  return sg;
}

const view = (store: Store, sg: SecurityGroup): View => securityGroupView(sg, store.rulesOf(sg.id));

export function securityGroupHandler(store: Store): Handler {
  return {
    spec: securityGroupSpec,
    list(ctx, filters) {
      ensureDefaultForListing(store, ctx, filters);
      return store.allGroups().filter((g) => owns(ctx, g.project_id)).map((g) => view(store, g));
    },
    show: (ctx, id) => view(store, visibleGroup(store, ctx, id)),
    create(ctx, item: Body) {
      const project = owningProject(ctx, item);
      ensureDefaultGroup(store, project);
      const id = insertGroup(store, project, item.name as string, item.description as string, item.stateful as boolean, false);
      return view(store, store.group(id)!);
    },
    update(ctx, id, item) {
      const sg = visibleGroup(store, ctx, id);
      if ('name' in item && store.isDefaultGroup(id)) throw errors.sgCannotUpdateDefault();
      if ('stateful' in item && item.stateful !== sg.stateful && store.portsInGroup(id).length) throw errors.sgInUse(id);
      if ('name' in item) store.run('UPDATE security_groups SET name = ? WHERE id = ?', item.name, id);
      if ('stateful' in item) store.run('UPDATE security_groups SET stateful = ? WHERE id = ?', item.stateful ? 1 : 0, id);
      store.bump(sg.standard_attr_id, Object.keys(item).length ? 1 : 0, item.description as string | undefined);
      store.changed('security_group', id, 'update');
      return view(store, store.group(id)!);
    },
    remove(ctx, id) {
      visibleGroup(store, ctx, id);
      if (store.portsInGroup(id).length) throw errors.sgInUse(id);
      if (store.isDefaultGroup(id) && !ctx.isAdmin) throw errors.sgCannotRemoveDefault();
      // rules elsewhere that name this group as their remote go with it, revising their groups
      for (const r of store.rulesReferencing(id).filter((r) => r.security_group_id !== id)) {
        store.run('DELETE FROM security_group_rules WHERE id = ?', r.id);
        store.changed('security_group_rule', r.id, 'delete');
        store.bump(store.group(r.security_group_id)!.standard_attr_id);
      }
      for (const r of store.rulesOf(id)) store.changed('security_group_rule', r.id, 'delete');
      store.run('DELETE FROM security_groups WHERE id = ?', id);
      store.changed('security_group', id, 'delete');
    },
    revision: (ctx, id) => visibleGroup(store, ctx, id).revision_number,
  };
}
