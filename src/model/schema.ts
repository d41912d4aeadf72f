/**
 * The declarative resource schema, after Neutron's RESOURCE_ATTRIBUTE_MAP:
 * each attribute says whether it may be POSTed or PUT, its default, how its
 * input is converted and validated (a zod schema whose first issue becomes
 * Neutron's "Invalid input for X. Reason: ..."), who may see it, and whether it
 * can be filtered or sorted on. The API layer derives request parsing, defaults,
 * filters, sort keys and the visible JSON from it.
 */
import { z } from 'zod';
import { errors } from './errors.js';

export interface Context {
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
}

export interface AttrSpec {
  post: boolean;
  put: boolean;
  /** allow_post without a default: POST must name it */
  required?: boolean;
  default?: unknown;
  input?: z.ZodType;
  /** 'admin' hides the attribute from non-admin callers */
  visible?: true | 'admin';
  filter?: boolean;
  /**
   * The attribute's convert_to as Neutron applies it to filter values (get_filters):
   * an issue is InvalidInput, an error it throws passes through.
   */
  filterAs?: z.ZodType;
  sort?: boolean;
}

export interface ResourceSpec {
  /** singular JSON key, e.g. `security_group` */
  name: string;
  /** plural JSON key, e.g. `security_groups` */
  collection: string;
  attrs: Record<string, AttrSpec>;
  /** a page marker naming no visible item is the resource's 404 (networks, ports), not the first page */
  strictMarker?: boolean;
  /** attributes a view narrowed by `fields` keeps all the same (an address group's tenant_id, which its plugin's dict always carries) */
  alwaysShown?: string[];
  /** Neutron serves the collection with allow_pagination=False: limit, marker and page_reverse are ignored */
  unpaged?: boolean;
  /** Neutron takes no list of items in one POST (rbac-policies answers "Unable to find 'rbac_policy' in request body") */
  noBulk?: boolean;
}

export type Body = Record<string, unknown>;

/** A zod schema from a Neutron-style validator: return a reason string to reject. */
export function check<T = unknown>(validate: (v: unknown) => string | undefined, convert?: (v: unknown) => T) {
  return z.unknown().transform((v, ctx) => {
    const reason = validate(v);
    if (reason !== undefined) {
      ctx.addIssue({ code: 'custom', message: reason });
      return z.NEVER;
    }
    return convert ? convert(v) : (v as T);
  });
}

const TRUE = new Set(['true', '1', 'yes', 'y', 't', 'on']);
const FALSE = new Set(['false', '0', 'no', 'n', 'f', 'off']);

/** neutron-lib convert_to_boolean: a converter, so its error is its own InvalidInput (not "Invalid input for X") */
export const boolean = z.unknown().transform((v) => {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string' && TRUE.has(v.toLowerCase())) return true;
  if (typeof v === 'string' && FALSE.has(v.toLowerCase())) return false;
  throw errors.invalidInput(`'${pyRepr(v)}' cannot be converted to boolean`);
});

/** neutron-lib convert_to_int: Python's int() of the value */
export const integer = z.unknown().transform((v) => {
  const text = String(v).trim();
  if (/^[+-]?\d+(_\d+)*$/.test(text)) return Number(text.replace(/_/g, ''));
  throw errors.invalidInput(`'${pyRepr(v)}' is not an integer`);
});

export function string(max: number) {
  return check((v) => {
    if (typeof v !== 'string') return `'${pyRepr(v)}' is not a valid string`;
    // Python's len(): code points, not UTF-16 units (only counted when the units exceed the limit)
    if (v.length > max && [...v].length > max) return `'${v}' exceeds maximum length of ${max}`;
    return undefined;
  });
}

/** neutron-lib validate_list_of_unique_strings: a list, no duplicates, then each item a string */
export function uniqueStrings(max: number) {
  const item = string(max);
  return check((v) => {
    if (!Array.isArray(v)) return `'${pyRepr(v)}' is not a list`;
    const dups = [...new Set(v.filter((x, i) => v.indexOf(x) !== i))];
    if (dups.length) return `Duplicate items in the list: '${dups.map(pyRepr).join(', ')}'`;
    for (const x of v) {
      const r = item.safeParse(x);
      if (!r.success) return r.error.issues[0].message;
    }
    return undefined;
  });
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);
export const uuid = check((v) => (isUuid(v) ? undefined : `'${pyRepr(v)}' is not a valid UUID`));

export function oneOf(values: readonly string[]) {
  return check((v) => (typeof v === 'string' && values.includes(v) ? undefined : `${pyRepr(v)} is not in valid_values`));
}

/** Python's repr-ish rendering used inside Neutron messages. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function parseAttr(spec: ResourceSpec, name: string, value: unknown): unknown {
  const input = spec.attrs[name]?.input;
  if (!input) return value;
  const res = input.safeParse(value);
  if (res.success) return res.data;
  const reason = res.error.issues[0]?.message ?? 'invalid';
  throw errors.badRequest(`Invalid input for ${name}. Reason: ${reason}.`);
}

function unknownKeys(spec: ResourceSpec, item: Body): void {
  const extra = Object.keys(item).filter((k) => !(k in spec.attrs));
  if (extra.length) throw errors.badRequest(`Unrecognized attribute(s) '${extra.join(', ')}'`);
}

function asObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * neutron/api/v2/base.py prepare_request_body for one item: unknown keys,
 * then defaults (POST) or read-only checks (PUT), then conversion and
 * validation in attribute order.
 */
export function prepareItem(spec: ResourceSpec, ctx: Context, item: unknown, action: 'create' | 'update'): Body {
  if (!asObject(item)) throw errors.badRequest(`Unable to find '${spec.name}' in request body`);
  const res: Body = { ...item };
  // neutron-lib populate_project_id: the owner named twice must agree, and only an admin names another
  if ('tenant_id' in res && !('project_id' in res)) res.project_id = res.tenant_id;
  if ('project_id' in res && !('tenant_id' in res)) res.tenant_id = res.project_id;
  if (res.project_id !== res.tenant_id) throw errors.badRequest(`'project_id' and 'tenant_id' do not match`);
  if ('project_id' in res && res.project_id !== ctx.projectId && !ctx.isAdmin) {
    throw errors.badRequest(`Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin or advsvc privileges`);
  }
  unknownKeys(spec, res);
  for (const [name, a] of Object.entries(spec.attrs)) {
    if (action === 'create') {
      if (!a.post) {
        if (name in res) throw errors.badRequest(`Attribute '${name}' not allowed in POST`);
      } else if (!(name in res)) {
        if (a.required) throw errors.badRequest(`Failed to parse request. Required attribute '${name}' not specified`);
      }
    } else if (name in res && !a.put) {
      throw errors.badRequest(`Cannot update read-only attribute ${name}`);
    }
  }
  for (const name of Object.keys(spec.attrs)) {
    if (name in res) res[name] = parseAttr(spec, name, res[name]);
  }
  return res;
}

/** The request body for a create: one item, or a bulk list under the collection key. */
export function prepareCreate(spec: ResourceSpec, ctx: Context, body: unknown): { items: Body[]; bulk: boolean } {
  if (!spec.noBulk && asObject(body) && Array.isArray(body[spec.collection])) {
    const list = body[spec.collection] as unknown[];
    if (list.length === 0) throw errors.badRequest(`Resources required`);
    return { items: list.map((i) => prepareItem(spec, ctx, asObject(i) && spec.name in i ? i[spec.name] : i, 'create')), bulk: true };
  }
  if (!asObject(body) || !(spec.name in body)) throw errors.badRequest(`Unable to find '${spec.name}' in request body`);
  return { items: [prepareItem(spec, ctx, body[spec.name], 'create')], bulk: false };
}

export function prepareUpdate(spec: ResourceSpec, ctx: Context, body: unknown): Body {
  if (!asObject(body) || !(spec.name in body)) throw errors.badRequest(`Unable to find '${spec.name}' in request body`);
  return prepareItem(spec, ctx, body[spec.name], 'update');
}

/** Defaults for attributes a POST left out. */
export function withDefaults(spec: ResourceSpec, item: Body): Body {
  const res: Body = { ...item };
  for (const [name, a] of Object.entries(spec.attrs)) {
    if (!(name in res) && a.post && !a.required && a.default !== undefined) {
      res[name] = typeof a.default === 'function' ? (a.default as () => unknown)() : structuredClone(a.default);
    }
  }
  return res;
}

/** Drops attributes the caller may not see; `fields` narrows further. */
export function visibleView(spec: ResourceSpec, full: Body, ctx: Context, fields?: string[]): Body {
  const out: Body = {};
  const keys = fields && fields.length ? [...fields, ...(spec.alwaysShown ?? []).filter((k) => !fields.includes(k))] : Object.keys(full);
  for (const k of keys) {
    if (!(k in full)) continue;
    const a = spec.attrs[k];
    if (a?.visible === 'admin' && !ctx.isAdmin) continue;
    out[k] = full[k];
  }
  return out;
}
