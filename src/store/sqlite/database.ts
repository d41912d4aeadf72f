/**
 * The embedded SQLite database: durability settings, migrations, cached
 * statements, and the one lock that keeps its single connection's
 * transactions apart. better-sqlite3 is synchronous; the repositories are not,
 * so a transaction spans awaits, and anything else on the connection meanwhile
 * would see (or join) its uncommitted writes. Every operation therefore takes
 * the lock: a transaction for its whole length, a lone read or write for one
 * synchronous step.
 */
import Database from 'better-sqlite3';
import { ChangeSignal } from '../signal.js';
import { type Migration, MIGRATIONS } from './schema.js';

export type Row = Record<string, unknown>;

const MAX_STATEMENTS = 2000;

/** Runs one synchronous step of SQL in its turn. */
export type Exec = <T>(step: () => T) => Promise<T>;

export class SqliteDb {
  readonly raw: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private queue: Promise<void> = Promise.resolve();
  /** told of every commit that appended to the change log */
  readonly committed = new ChangeSignal();
  /** the last change appended since the last commit or rollback */
  private pending: number | undefined;

  constructor(file: string) {
    this.raw = new Database(file);
    this.raw.pragma('journal_mode = WAL');
    // FULL: a write is on disk before the API answers it
    this.raw.pragma('synchronous = FULL');
    this.raw.pragma('foreign_keys = ON');
    this.raw.pragma('busy_timeout = 5000');
    migrate(this.raw, MIGRATIONS);
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      // lists by id make a statement per count of ids: keep the cache bounded
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      this.statements.set(sql, (s = this.raw.prepare(sql)));
    }
    return s;
  }

  all(sql: string, ...params: unknown[]): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  one(sql: string, ...params: unknown[]): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  /** rows changed */
  run(sql: string, ...params: unknown[]): number {
    return this.statement(sql).run(...params).changes;
  }

  insert(sql: string, ...params: unknown[]): number {
    return Number(this.statement(sql).run(...params).lastInsertRowid);
  }

  /** Notes a change appended (its seq), to signal once it is committed. */
  appended(seq: number): void {
    this.pending = seq;
  }

  /** After a commit (or a lone step, which SQLite commits statement by statement): wakes the followers of the log. */
  private signal(): void {
    const seq = this.pending;
    this.pending = undefined;
    if (seq !== undefined) this.committed.fire(seq);
  }

  /** Waits for the connection; the returned function hands it on. */
  private async acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    const before = this.queue;
    this.queue = before.then(() => held);
    await before;
    return release;
  }

  /** One synchronous step, between transactions. */
  readonly exec: Exec = async (step) => {
    const release = await this.acquire();
    try {
      return step();
    } finally {
      release();
      this.signal();
    }
  };

  /**
   * `fn` inside BEGIN … COMMIT, rolled back if it throws; nothing else runs on the
   * connection meanwhile. IMMEDIATE takes the write lock at once (writers queue
   * instead of failing); DEFERRED reads one snapshot without it.
   */
  async transaction<T>(mode: 'IMMEDIATE' | 'DEFERRED', fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    let committed = false;
    try {
      this.raw.exec(`BEGIN ${mode}`);
      try {
        const out = await fn();
        this.raw.exec('COMMIT');
        committed = true;
        return out;
      } catch (e) {
        this.raw.exec('ROLLBACK');
        throw e;
      }
    } finally {
      release();
      if (committed) this.signal();
      else this.pending = undefined;
    }
  }

  close(): void {
    this.raw.close();
  }
}

function migrate(db: Database.Database, migrations: Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this portsec (${migrations.length})`);
  }
  for (let v = current; v < migrations.length; v++) {
    const m = migrations[v];
    db.transaction(() => {
      if (typeof m === 'string') db.exec(m);
      else m(db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
