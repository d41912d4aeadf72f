/** What every SQLite repository shares: standard attributes, the change log, and list queries in SQL. */
import { type StandardAttrs, timestamp } from '../../model/common.js';
import { type ListQuery, type Revision, type Scalar } from '../repository.js';
import { type Exec, type Row, type SqliteDb } from './database.js';

/** A repository's handle on the database: the connection and how its steps run (alone, or in a transaction). */
export interface Sql {
  db: SqliteDb;
  exec: Exec;
}

export const STD_COLUMNS = 's.id AS standard_attr_id, s.description, s.revision_number, s.created_at, s.updated_at';

/** The standard-attribute fields as list queries name them. */
export const STD_FIELDS = {
  description: 's.description', revision_number: 's.revision_number', created_at: 's.created_at', updated_at: 's.updated_at',
} as const;

/**
 * A row's standard attributes, the object its record is built onto (Object.assign: a
 * spread into a literal took three times as long for 300 ports).
 */
export function std(r: Row): StandardAttrs {
  return {
    standard_attr_id: r.standard_attr_id as number,
    description: r.description as string | null,
    revision_number: r.revision_number as number,
    created_at: r.created_at as string,
    updated_at: r.updated_at as string,
  };
}

export function newStd(db: SqliteDb, resourceType: string, description: string | null, revision = 0): number {
  const now = timestamp();
  return db.insert('INSERT INTO standard_attrs (resource_type, description, revision_number, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    resourceType, description, revision, now, now);
}

export function revise(db: SqliteDb, stdId: number, r: Revision): void {
  if (r.bump === 0 && r.description === undefined) return;
  if (r.description === undefined) {
    db.run('UPDATE standard_attrs SET revision_number = revision_number + ?, updated_at = ? WHERE id = ?', r.bump, timestamp(), stdId);
  } else {
    db.run('UPDATE standard_attrs SET revision_number = revision_number + ?, updated_at = ?, description = ? WHERE id = ?',
      r.bump, timestamp(), r.description, stdId);
  }
}

/** Logs a change; `parent`: the resource it belongs to (a rule's group). */
export function changed(db: SqliteDb, resource: string, id: string, action: string, parent: string | null = null): void {
  db.appended(db.insert('INSERT INTO changes (resource, resource_id, action, parent_id) VALUES (?, ?, ?, ?)', resource, id, action, parent));
}

export function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Scalars as SQLite holds them (booleans as 0/1). */
const param = (v: Scalar): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

/** How one resource's list query maps to SQL: its columns and tables, its fields' columns, and its read policy. */
export interface Listing<K extends string> {
  select: string;
  /** `FROM … JOIN …` (standard attributes as `s`) */
  from: string;
  /** the resource's id column */
  id: string;
  fields: Record<K, string>;
  /** what the project (each `?` in it) may read */
  visible: string;
}

/**
 * The rows a list query names, filtered, sorted, cut to the page and
 * visibility-checked by SQLite. A marker is found among the rows the query
 * selects (as Neutron finds it in the filtered list); keyset conditions treat
 * NULL as the smallest value, as the API's sort does.
 */
export function listRows<K extends string>(db: SqliteDb, l: Listing<K>, q: ListQuery<K> = {}): Row[] {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (q.visibleTo !== undefined) {
    conds.push(`(${l.visible})`);
    for (let n = l.visible.split('?').length - 1; n > 0; n--) params.push(q.visibleTo);
  }
  for (const [field, values] of Object.entries(q.where ?? {}) as [K, readonly Scalar[]][]) {
    const col = l.fields[field];
    const some = values.filter((v) => v !== null);
    const alts = [...(some.length ? [`${col} IN (${some.map(() => '?').join(', ')})`] : []), ...(some.length < values.length ? [`${col} IS NULL`] : [])];
    conds.push(alts.length ? `(${alts.join(' OR ')})` : '0');
    params.push(...some.map(param));
  }
  // unsorted and unpaged: creation order (standard attribute ids grow); else the sort keys, then the id
  const paged = q.sorts?.length || q.limit !== undefined || q.marker !== undefined;
  const sorts: [string, boolean][] = [...(q.sorts ?? []).map(([k, d]): [string, boolean] => [l.fields[k], d === 'asc']), [paged ? l.id : 's.id', true]];
  // a reversed page is the page before the marker: walk the order backwards, then turn the page round
  const order = q.pageReverse ? sorts.map(([c, asc]): [string, boolean] => [c, !asc]) : sorts;
  if (q.marker !== undefined) {
    const at = db.one(`SELECT ${order.map(([c], i) => `${c} AS k${i}`).join(', ')} ${l.from} WHERE ${[...conds, `${l.id} = ?`].join(' AND ')}`,
      ...params, q.marker);
    if (!at && q.pageReverse) return [];
    if (at) {
      const after = keysetAfter(order, order.map((_, i) => at[`k${i}`]));
      conds.push(after.sql);
      params.push(...after.params);
    }
  }
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  const orderBy = `ORDER BY ${order.map(([c, asc]) => `${c} ${asc ? 'ASC' : 'DESC'}`).join(', ')}`;
  const limit = q.limit !== undefined ? `LIMIT ${Math.floor(q.limit)}` : '';
  const rows = db.all(`SELECT ${l.select} ${l.from} ${where} ${orderBy} ${limit}`, ...params);
  return q.pageReverse ? rows.reverse() : rows;
}

/** Rows strictly after `values` in the order (lexicographic over the sort columns). */
function keysetAfter(order: [string, boolean][], values: unknown[]): { sql: string; params: unknown[] } {
  const alts: string[] = [];
  const params: unknown[] = [];
  order.forEach(([col, asc], i) => {
    const same = order.slice(0, i).map(([c]) => `${c} IS ?`);
    const v = values[i];
    // NULL sorts first: after a NULL ascending is any value; before anything descending is NULL
    const beyond = asc ? (v === null ? `${col} IS NOT NULL` : `${col} > ?`) : (v === null ? undefined : `(${col} < ? OR ${col} IS NULL)`);
    if (beyond === undefined) return;
    alts.push(`(${[...same, beyond].join(' AND ')})`);
    params.push(...values.slice(0, i), ...(v === null ? [] : [v]));
  });
  return { sql: alts.length ? `(${alts.join(' OR ')})` : '0', params };
}
