/**
 * The identity side: users and projects from a tempest-style accounts file plus
 * the built-in admin, password checks, and tokens kept in the database so that
 * a restart does not log anyone out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type Context } from '../model/schema.js';
import { type Store, timestamp } from '../store/store.js';

export interface Account {
  username: string;
  password: string;
  project_name: string;
  roles: string[];
}

export interface Principal extends Context {
  userName: string;
  projectName: string;
}

export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };

/** Stable ids, so the same account maps to the same project across restarts. */
export const idFor = (kind: string, name: string): string => createHash('sha256').update(`${kind}:${name}`).digest('hex').slice(0, 32);

export function loadAccounts(file: string | undefined, adminPassword: string | undefined): Account[] {
  const accounts: Account[] = [];
  if (adminPassword !== undefined) accounts.push({ username: 'admin', password: adminPassword, project_name: 'admin', roles: ['admin'] });
  if (!file) return accounts;
  const data: unknown = parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${file}: expected a list of accounts (username, password, project_name, roles)`);
  data.forEach((a, i) => {
    if (typeof a?.username !== 'string' || typeof a?.password !== 'string' || typeof a?.project_name !== 'string') {
      throw new Error(`${file}: account ${i + 1} needs username, password and project_name`);
    }
    const roles = Array.isArray(a.roles) ? a.roles.map(String) : [];
    accounts.push({ username: a.username, password: a.password, project_name: a.project_name, roles });
  });
  return accounts;
}

/** Every user is a member (and reader) of its project; admins also hold admin. */
export function principalOf(a: Account): Principal {
  const roles = [...new Set(['reader', 'member', ...a.roles])];
  return {
    userId: idFor('user', a.username),
    userName: a.username,
    projectId: idFor('project', a.project_name),
    projectName: a.project_name,
    roles,
    isAdmin: roles.includes('admin'),
  };
}

export function passwordMatches(a: Account, password: unknown): boolean {
  if (typeof password !== 'string') return false;
  const x = createHash('sha256').update(a.password).digest();
  const y = createHash('sha256').update(password).digest();
  return timingSafeEqual(x, y);
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export class TokenStore {
  constructor(private readonly store: Store) {
    store.db.exec(`CREATE TABLE IF NOT EXISTS tokens (
      token_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, issued_at TEXT NOT NULL, expires_at TEXT NOT NULL)`);
  }

  issue(p: Principal, ttlSeconds: number): { token: string; issuedAt: string; expiresAt: string } {
    const token = randomBytes(24).toString('base64url');
    const issuedAt = timestamp();
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    this.store.run('DELETE FROM tokens WHERE expires_at < ?', issuedAt);
    this.store.run('INSERT INTO tokens (token_hash, principal, issued_at, expires_at) VALUES (?, ?, ?, ?)',
      hashToken(token), JSON.stringify(p), issuedAt, expiresAt);
    return { token, issuedAt, expiresAt };
  }

  /** The principal of a valid, unexpired token. */
  check(token: string): { principal: Principal; issuedAt: string; expiresAt: string } | undefined {
    const row = this.store.db.prepare('SELECT principal, issued_at, expires_at FROM tokens WHERE token_hash = ?').get(hashToken(token)) as
      { principal: string; issued_at: string; expires_at: string } | undefined;
    if (!row || row.expires_at <= timestamp()) return undefined;
    return { principal: JSON.parse(row.principal), issuedAt: row.issued_at, expiresAt: row.expires_at };
  }
}
