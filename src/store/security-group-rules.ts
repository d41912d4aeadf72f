/** Security group rules: Neutron's checks in its order, duplicates, and group revisions. */
import { errors } from '../model/errors.js';
import { type Body, type Context } from '../model/schema.js';
import { canonicalRule, type Rule, type RuleInput, ruleKey, ruleSpec, ruleView } from '../model/security-group-rule.js';
import { owns } from './access.js';
import { type Handler, owningProject } from './handler.js';
import { ensureDefaultForListing } from './security-groups.js';
import { newId, type Store } from './store.js';

/** _check_security_group: the group must exist and be visible to the rule's project. */
function checkGroup(store: Store, ctx: Context, id: string, project: string): void {
  const sg = typeof id === 'string' ? store.group(id) : undefined;
  if (!sg || !(ctx.isAdmin || sg.project_id === project)) throw errors.sgNotFound(String(id));
}

/** A rule the caller may act on: unknown ids are the rule's 404, others' rules a bare 404. */
function visibleRule(store: Store, ctx: Context, id: string): Rule {
  const rule = store.rule(id);
  if (!rule) throw errors.ruleNotFound(id);
  if (!owns(ctx, rule.project_id) && !owns(ctx, store.group(rule.security_group_id)!.project_id)) throw errors.notFound();
  return rule;
}

export function ruleHandler(store: Store): Handler {
  return {
    spec: ruleSpec,
    list(ctx, filters) {
      ensureDefaultForListing(store, ctx, filters);
      const groups = new Map(store.allGroups().map((g) => [g.id, g.project_id]));
      return store.allRules()
        .filter((r) => owns(ctx, r.project_id) || owns(ctx, groups.get(r.security_group_id)!))
        .map((r) => ruleView(r, false));
    },
    show: (ctx, id) => ruleView(visibleRule(store, ctx, id), false),
    create(ctx, item: Body) {
      const project = owningProject(ctx, item);
      const rule = canonicalRule(item as unknown as RuleInput & { remote_address_group_id?: unknown });
      if (item.remote_address_group_id != null) throw errors.notFound(`Address group ${String(item.remote_address_group_id)} could not be found.`);
      if (rule.remote_group_id !== null) checkGroup(store, ctx, rule.remote_group_id, project);
      const sgId = item.security_group_id as string;
      checkGroup(store, ctx, sgId, project);
      const key = ruleKey({ ...rule, security_group_id: sgId });
      const dup = store.rulesOf(sgId).find((r) => ruleKey(r) === key);
      if (dup) throw errors.ruleExists(dup.id);
      const created = store.insertRule({ ...rule, id: newId(), project_id: project, security_group_id: sgId }, item.description as string);
      store.bump(store.group(sgId)!.standard_attr_id);
      return ruleView(created, false);
    },
    update(ctx, id, item) {
      // Zed's ML2 answers 500 here (no update_security_group_rule); portsec lets the description change
      const rule = visibleRule(store, ctx, id);
      store.bump(rule.standard_attr_id, Object.keys(item).length ? 1 : 0, item.description as string | undefined);
      store.changed('security_group_rule', id, 'update');
      return ruleView(store.rule(id)!, false);
    },
    remove(ctx, id) {
      const rule = visibleRule(store, ctx, id);
      store.run('DELETE FROM security_group_rules WHERE id = ?', id);
      store.changed('security_group_rule', id, 'delete');
      store.bump(store.group(rule.security_group_id)!.standard_attr_id);
    },
    revision: (ctx, id) => visibleRule(store, ctx, id).revision_number,
  };
}
