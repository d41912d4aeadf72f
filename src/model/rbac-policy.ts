/**
 * The RBAC policy resource (neutron/extensions/rbac.py) for the object types portsec
 * serves: security groups shared with other projects (`access_as_shared`).
 */
import { z } from 'zod';
import { idAttr, projectAttrs, projectView } from './common.js';
import { errors } from './errors.js';
import { pyRepr, type ResourceSpec, string, uuid } from './schema.js';

export interface RbacPolicy {
  id: string;
  /** who made the policy (the object's owner, or an admin) */
  project_id: string;
  object_type: RbacObjectType;
  object_id: string;
  action: string;
  /** a project id, or `*` for every project */
  target_project: string;
}

/** The object types portsec serves, each with its valid actions (rbac_db_models' get_valid_actions). */
export const RBAC_ACTIONS = { security_group: ['access_as_shared'] } as const;
export type RbacObjectType = keyof typeof RBAC_ACTIONS;

export const ACCESS_SHARED = 'access_as_shared';
export const WILDCARD = '*';

/** convert_valid_object_type: trimmed and lower-cased, one of the served types */
const objectType = z.unknown().transform((v) => {
  // Neutron strips whatever it is given: anything but a string is its 500
  if (typeof v !== 'string') throw errors.internal();
  const type = v.trim().toLowerCase();
  if (type in RBAC_ACTIONS) return type;
  throw errors.invalidInput(`'${pyRepr(v)}' is not a valid RBAC object type`);
});

export const rbacPolicySpec: ResourceSpec = {
  name: 'rbac_policy',
  collection: 'rbac_policies',
  attrs: {
    id: { ...idAttr, sort: false },
    object_type: { post: true, put: false, default: null, input: objectType, visible: true, filter: true },
    object_id: { post: true, put: false, required: true, input: uuid, visible: true, filter: true },
    target_tenant: { post: true, put: true, required: true, input: string(255), visible: true, filter: true },
    ...Object.fromEntries(Object.entries(projectAttrs).map(([k, a]) => [k, { ...a, sort: false }])),
    action: { post: true, put: false, required: true, input: string(255), visible: true, filter: true },
  },
  unpaged: true,
  noBulk: true,
};

export const rbacPolicyView = (p: RbacPolicy): Record<string, unknown> => ({
  id: p.id,
  project_id: p.project_id,
  action: p.action,
  object_id: p.object_id,
  target_tenant: p.target_project,
  object_type: p.object_type,
  tenant_id: projectView(p.project_id).tenant_id,
});

/**
 * The callback that checks a security group's policy changes, as Neutron names it
 * when it wraps the callback's error (the number is the callback's id() in Neutron's
 * process; one of its values, kept so that messages compare whole).
 */
const CALLBACK = 'neutron.objects.securitygroup.RbacNeutronDbObjectMixin.validate_rbac_policy_change-8768126238990';

/** An error a BEFORE_* callback raised, as the RBAC mixin rewraps it. */
export const callbackFailed = (message: string) => `Callback ${CALLBACK} failed with "${message}"`;
