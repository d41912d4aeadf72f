/**
 * The identity side: users and projects from a tempest-style accounts file plus
 * the built-in admin, password checks, and tokens kept in the database so that
 * a restart does not log anyone out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import { type Context } from '../model/schema.js';
import { timestamp } from '../model/common.js';
import { type TokenRepository } from '../store/repository.js';

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

/**
 * The accounts as the file says now, as Keystone reads its users from its database on
 * every request: an account removed or a role taken away ends the tokens that relied
 * on it at their next use. A file that goes missing or stops parsing leaves only the
 * built-in admin (fail closed), with one line on stderr.
 */
export class Accounts {
  private cached: Account[];
  private stamp: string;
  /** bumped at every reload of the file, and when a user made through the API goes */
  generation = 0;
  /**
   * Users made through Keystone's admin API (tempest's dynamic credentials), by id, and the
   * projects made with them, by id: kept in memory, beside the file that is the record
   */
  private readonly made = new Map<string, Account>();
  private readonly madeProjects = new Map<string, string>();

  constructor(private readonly file: string | undefined, private readonly adminPassword: string | undefined) {
    this.cached = loadAccounts(file, adminPassword);
    this.stamp = this.fileStamp();
  }

  private fileStamp(): string {
    if (!this.file) return '';
    try {
      const st = statSync(this.file);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return 'missing';
    }
  }

  /** a new project's id (its name's, as every project's) */
  addProject(name: string): string {
    const id = idFor('project', name);
    this.madeProjects.set(id, name);
    return id;
  }

  projectName(id: string): string | undefined {
    return this.madeProjects.get(id) ?? this.list().find((a) => idFor('project', a.project_name) === id)?.project_name;
  }

  removeProject(id: string): boolean {
    return this.madeProjects.delete(id);
  }

  /** a new user, in no project until a role on one is given */
  addUser(username: string, password: string): string {
    const id = idFor('user', username);
    this.made.set(id, { username, password, project_name: '', roles: [] });
    return id;
  }

  /** the user's role on the project (an account has one project: the last given) */
  assign(userId: string, projectName: string, role: string): boolean {
    const a = this.made.get(userId);
    if (!a) return false;
    if (a.project_name !== projectName) Object.assign(a, { project_name: projectName, roles: [] });
    if (!a.roles.includes(role)) a.roles.push(role);
    return true;
  }

  removeUser(id: string): boolean {
    const had = this.made.delete(id);
    if (had) this.generation++;
    return had;
  }

  list(): Account[] {
    return [...this.fromFile(), ...this.made.values()];
  }

  private fromFile(): Account[] {
    const now = this.fileStamp();
    if (now !== this.stamp) {
      this.stamp = now;
      this.generation++;
      try {
        this.cached = loadAccounts(this.file, this.adminPassword);
      } catch (e) {
        process.stderr.write(`accounts: ${(e as Error).message}; only the built-in admin can log in until the file is mended\n`);
        this.cached = loadAccounts(undefined, this.adminPassword);
      }
    }
    return this.cached;
  }

  byName(name: unknown): Account | undefined {
    return this.list().find((a) => a.username === name);
  }

  byId(id: unknown): Account | undefined {
    return this.list().find((a) => idFor('user', a.username) === id);
  }
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

export interface IssuedToken {
  principal: Principal;
  methods: string[];
  auditId: string;
  issuedAt: string;
  expiresAt: string;
}

/**
 * Tokens, kept in the database (a restart logs nobody out) as a hash of the secret.
 * A token is valid while it has not expired, has not been revoked, and its user
 * still exists with every role the token was issued with.
 */
export class TokenStore {
  /** the accounts' generation the tokens were last swept against (none yet: the first check sweeps) */
  private swept = -1;

  constructor(private readonly tokens: TokenRepository, private readonly accounts: Accounts) {}

  /** Whether a token's principal still holds: its user exists, in its project, with every role it was issued with. */
  private holds(principal: Principal): boolean {
    const account = this.accounts.byId(principal.userId);
    if (!account) return false;
    const now = principalOf(account);
    return now.projectId === principal.projectId && principal.roles.every((r) => now.roles.includes(r));
  }

  /** Revokes, for good, every token whose user or roles went away (as Keystone does when it deletes them). */
  private async sweep(): Promise<void> {
    const gone = (await this.tokens.all()).filter((t) => !this.holds(t.principal as Principal));
    if (gone.length) await this.tokens.removeMany(gone.map((t) => t.hash));
  }

  /** A new token; `expiresAt` keeps a re-scoped token's end where its source's was. */
  async issue(p: Principal, ttlSeconds: number, methods: string[], expiresAt?: string): Promise<{ token: string } & IssuedToken> {
    const token = randomBytes(24).toString('base64url');
    const issuedAt = timestamp();
    const end = expiresAt ?? timestamp(new Date(Date.now() + ttlSeconds * 1000));
    const auditId = randomBytes(16).toString('base64url').slice(0, 22);
    await this.tokens.removeExpired(issuedAt);
    await this.tokens.add({ hash: hashToken(token), principal: p, issuedAt, expiresAt: end, methods, auditId });
    return { token, principal: p, methods, auditId, issuedAt, expiresAt: end };
  }

  /** The token, if it is still valid. */
  async check(token: string): Promise<IssuedToken | undefined> {
    const found = await this.tokens.get(hashToken(token));
    if (!found || found.expiresAt <= timestamp()) return undefined;
    const principal = found.principal as Principal;
    this.accounts.list();
    if (this.accounts.generation !== this.swept) {
      this.swept = this.accounts.generation;
      await this.sweep();
    }
    if (!this.holds(principal)) return undefined;
    return { principal, methods: found.methods, auditId: found.auditId, issuedAt: found.issuedAt, expiresAt: found.expiresAt };
  }

  /** Revokes a token; whether there was one to revoke. */
  revoke(token: string): Promise<boolean> {
    return this.tokens.remove(hashToken(token));
  }
}
