/**
 * Suppressions: findings someone decided to live with, each with the reason they wrote
 * down. A file (YAML or JSON) of entries naming a finding by id, or by check and one of its
 * objects (id or name); `reason` is mandatory, `expires` (a date) optional: after that day the
 * finding is reported again.
 *
 *   suppressions:
 *     - id: wide-pair-in-remote-group-2965eeda
 *       reason: the NAT server's /0 pair, tracked in OPS-123
 *       expires: 2027-03-31
 *     - check: admin-port-open-to-world
 *       object: bastion
 *       reason: the bastion's ssh is meant to be open
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type Finding } from '../answers.js';
import { InputError } from '../sources/errors.js';

export interface Suppression {
  id?: string;
  check?: string;
  /** the id or name of one of the finding's objects */
  object?: string;
  reason: string;
  /** the last day (UTC) it applies, as written */
  expires?: string;
}

const KEYS = new Set(['id', 'check', 'object', 'reason', 'expires']);

function entry(raw: unknown, n: number, path: string): Suppression {
  const where = `suppression ${n + 1} in ${path}`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${where} is not a mapping`);
  const e = raw as Record<string, unknown>;
  const unknown = Object.keys(e).filter((k) => !KEYS.has(k));
  if (unknown.length) throw new InputError(`${where} has unknown keys ${unknown.join(', ')} (known: ${[...KEYS].join(', ')})`);
  // YAML reads an unquoted date as a string, but a Date from other writers is fine too
  const expires = e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : e.expires;
  for (const k of ['id', 'check', 'object', 'reason'] as const) {
    if (e[k] !== undefined && typeof e[k] !== 'string') throw new InputError(`${where}: ${k} must be a string`);
  }
  if (typeof e.reason !== 'string' || !e.reason.trim()) throw new InputError(`${where} has no reason: every suppression says why`);
  if (!e.id && !(e.check && e.object)) throw new InputError(`${where} names no finding: give its id, or its check and object`);
  if (expires !== undefined && (typeof expires !== 'string' || Number.isNaN(Date.parse(expires)))) throw new InputError(`${where}: expires must be a date (YYYY-MM-DD)`);
  return { ...(e.id ? { id: e.id as string } : {}), ...(e.check ? { check: e.check as string, object: e.object as string } : {}), reason: e.reason.trim(), ...(expires ? { expires } : {}) };
}

export function readSuppressions(path: string): Suppression[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read the suppressions ${path}: ${(e as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as { suppressions?: unknown }).suppressions : undefined;
  if (!Array.isArray(list)) throw new InputError(`${path} holds no list of suppressions (a list, or one under "suppressions:")`);
  return list.map((e, i) => entry(e, i, path));
}

/** Whether the suppression still applies at `now`: a date without a time lasts the whole day (UTC). */
export function inForce(s: Suppression, now: Date): boolean {
  if (!s.expires) return true;
  return now.getTime() < Date.parse(s.expires) + (/^\d{4}-\d{2}-\d{2}$/.test(s.expires) ? 86_400_000 : 0);
}

export const matches = (s: Suppression, f: Finding): boolean =>
  s.id ? s.id === f.id : s.check === f.check && f.objects.some((o) => o.id === s.object || o.name === s.object);
