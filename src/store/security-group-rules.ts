/** Security group rules: Neutron's checks in its order, duplicates, and group revisions. */
import { errors } from '../model/errors.js';
import { type Body, type Context } from '../model/schema.js';
import { canonicalRule, type Rule, type RuleInput, ruleKey, ruleSpec, ruleView } from '../model/security-group-rule.js';
import { owns, readerOf } from './access.js';
import { COMMON_COLUMNS, type Handler, owningProject } from './handler.js';
import { newId } from './ids.js';
import { NEUTRON_QUOTAS, type Quotas } from './quotas.js';
import { type ListQuery, type Repositories, type RuleField } from './repository.js';
import { defaultGroupForListing } from './security-groups.js';

/** _check_security_group: the group must exist and be visible to the rule's project (its own, or shared with it). */
async function checkGroup(db: Repositories, ctx: Context, id: string, project: string): Promise<void> {
  const sg = typeof id === 'string' ? await db.securityGroups.get(id, ctx.isAdmin ? undefined : project) : undefined;
  if (!sg) throw errors.sgNotFound(String(id));
}

/** check_address_group: the address group must exist in the rule's project (any, for an admin). */
async function checkAddressGroup(db: Repositories, ctx: Context, id: string, project: string): Promise<void> {
  const g = typeof id === 'string' ? await db.addressGroups.get(id) : undefined;
  if (!g || !(ctx.isAdmin || g.project_id === project)) throw errors.addressGroupNotFound(String(id));
}

/** A rule the caller may act on: unknown ids are the rule's 404, others' rules a bare 404. */
async function visibleRule(db: Repositories, ctx: Context, id: string): Promise<Rule> {
  const rule = await db.rules.get(id);
  if (!rule) throw errors.ruleNotFound(id);
  if (!owns(ctx, rule.project_id) && !(await db.rules.get(id, readerOf(ctx)))) throw errors.notFound();
  return rule;
}

export function ruleHandler(quotas: Quotas = NEUTRON_QUOTAS): Handler {
  return {
    spec: ruleSpec,
    columns: {
      ...COMMON_COLUMNS, security_group_id: { field: 'security_group_id', type: 'text' }, remote_group_id: { field: 'remote_group_id', type: 'text?' },
      direction: { field: 'direction', type: 'text' }, ethertype: { field: 'ethertype', type: 'text' }, protocol: { field: 'protocol', type: 'text?' },
      port_range_min: { field: 'port_range_min', type: 'int?' }, port_range_max: { field: 'port_range_max', type: 'int?' },
      remote_ip_prefix: { field: 'remote_ip_prefix', type: 'text?' }, remote_address_group_id: { field: 'remote_address_group_id', type: 'text?' },
    },
    beforeList: defaultGroupForListing(quotas),
    list: async (db, ctx, query) => (await db.rules.list({ ...query as ListQuery<RuleField>, visibleTo: readerOf(ctx) })).map((r) => ruleView(r, false)),
    show: async (db, ctx, id) => ruleView(await visibleRule(db, ctx, id), false),
    async create(db, ctx, item: Body) {
      const project = owningProject(ctx, item);
      const rule = canonicalRule(item as unknown as RuleInput);
      if (rule.remote_group_id !== null) await checkGroup(db, ctx, rule.remote_group_id, project);
      if (rule.remote_address_group_id !== null) await checkAddressGroup(db, ctx, rule.remote_address_group_id, project);
      const sgId = item.security_group_id as string;
      await checkGroup(db, ctx, sgId, project);
      const key = ruleKey({ ...rule, security_group_id: sgId });
      const dup = (await db.rules.list({ where: { security_group_id: [sgId] } })).find((r) => ruleKey(r) === key);
      if (dup) throw errors.ruleExists(dup.id);
      const created = await db.rules.create({ ...rule, id: newId(), project_id: project, security_group_id: sgId, description: item.description as string });
      await db.securityGroups.revise(sgId, { bump: 1 });
      return ruleView(created, false);
    },
    async update(db, ctx, id, item) {
      // Zed's ML2 answers 500 here (no update_security_group_rule); portsec lets the description change
      await visibleRule(db, ctx, id);
      return ruleView(await db.rules.update(id, { bump: Object.keys(item).length ? 1 : 0, description: item.description as string | undefined }), false);
    },
    async remove(db, ctx, id) {
      const rule = await visibleRule(db, ctx, id);
      await db.rules.remove(id);
      await db.securityGroups.revise(rule.security_group_id, { bump: 1 });
    },
    revision: async (db, ctx, id) => (await visibleRule(db, ctx, id)).revision_number,
  };
}
