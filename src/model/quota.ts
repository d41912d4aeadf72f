/**
 * Neutron's quotas (quotasv2, quota_details, quota-check-limit): the resources
 * Neutron 21 registers for counting, with neutron.conf [quotas]' defaults, and
 * the quota "resource" a PUT body is checked against. Neutron builds that schema
 * at run time from its resource registry; here it is declared once from the same
 * list.
 */
import { z } from 'zod';
import { errors } from './errors.js';
import { pyRepr, type ResourceSpec } from './schema.js';

/**
 * The registered quota resources in the order Neutron answers them (ML2 with no
 * service plugins): neutron/conf/quota.py's defaults. subnetpool and rbac_policy
 * are served as Neutron serves them; portsec has no subnet pools, so their use is 0.
 */
export const QUOTA_DEFAULTS = {
  network: 100,
  subnet: 100,
  subnetpool: -1,
  port: 500,
  rbac_policy: 10,
  security_group: 10,
  security_group_rule: 100,
};

export type QuotaResource = keyof typeof QUOTA_DEFAULTS;
export type Limits = Record<QuotaResource, number>;

export const QUOTA_RESOURCES = Object.keys(QUOTA_DEFAULTS) as QuotaResource[];

export const isQuotaResource = (name: string): name is QuotaResource => Object.hasOwn(QUOTA_DEFAULTS, name);

/** neutron_lib.db.constants.DB_INTEGER_MAX_VALUE: a limit's upper bound */
export const MAX_LIMIT = 2 ** 31 - 1;

/** -1: unlimited (Neutron treats any negative limit so; the API admits only -1) */
export const UNLIMITED = -1;

/** Python's int() of a text: surrounding whitespace, a sign, digits with single underscores between them. */
const PY_INT = /^\s*([+-]?)(\d(?:_?\d)*)\s*$/;

/** neutron-lib convert_to_int: Python's int(), InvalidInput when it raises. Big: a value may pass the 32-bit bound. */
export function convertToInt(v: unknown): bigint {
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  const m = typeof v === 'string' ? PY_INT.exec(v) : null;
  if (m) return BigInt(`${m[1]}${m[2].replaceAll('_', '')}`);
  throw errors.invalidInput(`'${pyRepr(v)}' is not an integer`);
}

/** convert_to_int, then validate type:range [-1, DB_INTEGER_MAX_VALUE] (its reason, in "Invalid input for X") */
const limit = z.unknown().transform(convertToInt).transform((n, ctx) => {
  if (n < BigInt(UNLIMITED)) ctx.addIssue({ code: 'custom', message: `'${n}' is too small - must be at least '${UNLIMITED}'` });
  else if (n > BigInt(MAX_LIMIT)) ctx.addIssue({ code: 'custom', message: `'${n}' is too large - must be no larger than '${MAX_LIMIT}'` });
  else return Number(n);
  return z.NEVER;
});

/** What a PUT may change: every registered resource's limit (quotasv2's EXTENDED_ATTRIBUTES_2_0, filled from the registry). */
export const quotaSpec: ResourceSpec = {
  name: 'quota',
  collection: 'quotas',
  attrs: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, { post: false, put: true, input: limit, visible: true }])),
};

/**
 * The update options quotasv2 pops from the body before validating it: `force`
 * and `check_limit` (quota-check-limit), the latter true by Python's truth.
 */
export function updateOptions(body: Record<string, unknown>): { checkLimit: boolean; rest: Record<string, unknown> } {
  const { force: _force, check_limit: checkLimit, ...rest } = body;
  return { checkLimit: pyTruthy(checkLimit), rest };
}

function pyTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return !!v;
}

/** `RESOURCE=N`, neutron.conf [quotas] quota_RESOURCE = N (-1 unlimited); undefined when the text is not one. */
export function parseQuotaSetting(text: string): [QuotaResource, number] | undefined {
  const m = /^([a-z_]+)=(-?\d+)$/.exec(text);
  if (!m || !isQuotaResource(m[1])) return undefined;
  const n = Number(m[2]);
  return n >= UNLIMITED && n <= MAX_LIMIT ? [m[1], n] : undefined;
}
