/** The small tables: Keystone tokens, the change log, compute nodes' tunnel addresses, analysis view versions. */
import {
  type AgentRepository, type Change, type ChangeLog, type StoredToken, type TokenRepository, type ViewVersionRepository,
} from '../repository.js';
import { type Row } from './database.js';
import { type Sql } from './rows.js';

const token = (r: Row): StoredToken => ({
  hash: r.token_hash as string,
  principal: JSON.parse(r.principal as string),
  issuedAt: r.issued_at as string,
  expiresAt: r.expires_at as string,
  methods: JSON.parse(r.methods as string),
  auditId: r.audit_id as string,
});

export class SqliteTokens implements TokenRepository {
  constructor(private readonly sql: Sql) {}

  add(t: StoredToken): Promise<void> {
    return this.sql.exec(() => void this.sql.db.run('INSERT INTO tokens (token_hash, principal, issued_at, expires_at, methods, audit_id) VALUES (?, ?, ?, ?, ?, ?)',
      t.hash, JSON.stringify(t.principal), t.issuedAt, t.expiresAt, JSON.stringify(t.methods), t.auditId));
  }

  get(hash: string): Promise<StoredToken | undefined> {
    return this.sql.exec(() => {
      const r = this.sql.db.one('SELECT * FROM tokens WHERE token_hash = ?', hash);
      return r && token(r);
    });
  }

  all(): Promise<StoredToken[]> {
    return this.sql.exec(() => this.sql.db.all('SELECT * FROM tokens').map(token));
  }

  remove(hash: string): Promise<boolean> {
    return this.sql.exec(() => this.sql.db.run('DELETE FROM tokens WHERE token_hash = ?', hash) > 0);
  }

  removeMany(hashes: readonly string[]): Promise<void> {
    return this.sql.exec(() => {
      for (const h of hashes) this.sql.db.run('DELETE FROM tokens WHERE token_hash = ?', h);
    });
  }

  removeExpired(before: string): Promise<void> {
    return this.sql.exec(() => void this.sql.db.run('DELETE FROM tokens WHERE expires_at < ?', before));
  }
}

export class SqliteChanges implements ChangeLog {
  constructor(private readonly sql: Sql) {}

  since(seq: number): Promise<Change[]> {
    return this.sql.exec(() => this.sql.db.all('SELECT seq, resource, resource_id, action, parent_id FROM changes WHERE seq > ? ORDER BY seq', seq) as unknown as Change[]);
  }

  last(): Promise<number> {
    return this.sql.exec(() => (this.sql.db.one('SELECT MAX(seq) AS m FROM changes')?.m as number | null) ?? 0);
  }
}

export class SqliteAgents implements AgentRepository {
  constructor(private readonly sql: Sql) {}

  /** from 172.30.0.0/16 (an address that lives only in the underlay namespace), in order of first use */
  tunnelAddress(host: string): Promise<string> {
    return this.sql.exec(() => {
      const { db } = this.sql;
      const known = db.one('SELECT tunnel_ip FROM agents WHERE host = ?', host)?.tunnel_ip as string | undefined;
      if (known) return known;
      const n = ((db.one('SELECT COUNT(*) AS n FROM agents')?.n as number) ?? 0) + 1;
      const ip = `172.30.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      db.run('INSERT INTO agents (host, tunnel_ip) VALUES (?, ?)', host, ip);
      return ip;
    });
  }

  tunnelAddresses(): Promise<Map<string, string>> {
    return this.sql.exec(() => new Map(this.sql.db.all('SELECT host, tunnel_ip FROM agents').map((r) => [r.host as string, r.tunnel_ip as string])));
  }
}

export class SqliteViewVersions implements ViewVersionRepository {
  constructor(private readonly sql: Sql) {}

  get(view: string): Promise<{ version: number; digest: string } | undefined> {
    return this.sql.exec(() => this.sql.db.one('SELECT version, digest FROM view_versions WHERE view = ?', view) as { version: number; digest: string } | undefined);
  }

  put(view: string, version: number, digest: string): Promise<void> {
    return this.sql.exec(() => void this.sql.db.run(`INSERT INTO view_versions (view, version, digest) VALUES (?, ?, ?)
      ON CONFLICT(view) DO UPDATE SET version = excluded.version, digest = excluded.digest`, view, version, digest));
  }
}
