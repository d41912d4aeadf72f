/**
 * What the five resource repositories share, written once: a resource's table
 * described as data (its columns, the tables of its lists, its read policy,
 * how a row becomes a model), and the reads every resource answers from that
 * description — get, list with filters, sorts and marker pages in SQL — plus
 * the row writes each resource's own writes are made of.
 */
import { type ListQuery, type Scalar, type TagFilter } from '../repository.js';
import { type Row } from './database.js';
import { changed, newStd, type Sql, STD_COLUMNS, STD_FIELDS, type StdField } from './rows.js';

/** A table of rows that belong to the resource's rows (a port's fixed IPs), by the column naming their owner. */
export interface ChildTable {
  table: string;
  owner: string;
  /** the order of one owner's rows */
  order: string;
}

/** A resource's table, as the shared reads and writes need it. */
export interface Table<T, K extends string, C extends string = never, S extends string = never> {
  name: string;
  /** the table's alias in the list query (standard attributes are `s`) */
  alias: string;
  /** the table's own columns (but `id`), each a list field of the same name */
  columns: Record<Exclude<K, StdField | 'id'>, true>;
  /** columns holding JSON (written as JSON whatever the value) */
  json?: readonly string[];
  /** columns and joins beyond the table and its standard attributes (a network's segment) */
  joined?: { select: string; from: string };
  /** what a project (each `?` in it) may read; columns as `alias.column` */
  visible: string;
  children?: Record<C, ChildTable>;
  /** the set fields a list filters on: a column of a child table */
  sets?: Record<S, { child: C; column: string }>;
  /** the change log's and the standard attributes' names of the resource */
  resource: string;
  stdType: string;
  decode(r: Row, children: Record<C, Row[]>): T;
}

/** Up to this many rows, their children are read by owner id; beyond, whole tables in one pass. */
const BY_ID = 500;

/** Scalars as SQLite holds them (booleans as 0/1). */
const param = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

function groupBy(rows: Row[], key: string): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const k = r[key] as string;
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

export abstract class SqliteResource<T, K extends string, C extends string = never, S extends string = never> {
  private readonly fields: Record<K, string>;

  constructor(protected readonly sql: Sql, private readonly t: Table<T, K, C, S>) {
    const own = Object.fromEntries(['id', ...Object.keys(t.columns)].map((c) => [c, `${t.alias}.${c}`]));
    this.fields = { ...own, ...STD_FIELDS } as Record<K, string>;
  }

  get(id: string, visibleTo?: string): Promise<T | undefined> {
    return this.sql.exec(() => this.read(id, visibleTo));
  }

  list(q: ListQuery<K, S> = {}): Promise<T[]> {
    // an unfiltered, unpaged list is every row: read the children's tables whole
    const whole = !q.where && !q.has && !q.like && q.visibleTo === undefined && q.limit === undefined && q.marker === undefined;
    return this.sql.exec(() => this.records(this.rows(q), whole));
  }

  /** the rows of these ids that exist, in one read */
  getMany(ids: readonly string[]): Promise<T[]> {
    return this.sql.exec(() => {
      const out: T[] = [];
      // SQLite's parameter limit: ids in slices
      for (let i = 0; i < ids.length; i += BY_ID) out.push(...this.records(this.rows({ where: { id: ids.slice(i, i + BY_ID) } as ListQuery<K, S>['where'] })));
      return out;
    });
  }

  protected read(id: string, visibleTo?: string): T | undefined {
    return this.records(this.rows({ where: { id: [id] } as ListQuery<K, S>['where'], visibleTo }))[0];
  }

  private records(rows: Row[], whole = false): T[] {
    if (rows.length === 0) return [];
    const { db } = this.sql;
    const ids = rows.map((r) => r.id as string);
    const children = Object.entries(this.t.children ?? {}).map(([name, c]) => {
      const { table, owner, order } = c as ChildTable;
      const read = !whole && ids.length <= BY_ID
        ? db.all(`SELECT * FROM ${table} WHERE ${owner} IN (${ids.map(() => '?').join(', ')}) ORDER BY ${order}`, ...ids)
        : db.all(`SELECT * FROM ${table} ORDER BY ${order}`);
      return [name, groupBy(read, owner)] as const;
    });
    return rows.map((r) => {
      const own = {} as Record<C, Row[]>;
      for (const [name, byOwner] of children) own[name as C] = byOwner.get(r.id as string) ?? [];
      return this.t.decode(r, own);
    });
  }

  /**
   * The rows a list query names, filtered, sorted, cut to the page and
   * visibility-checked by SQLite. A marker is found among the rows the caller may
   * see, filtered or not (Neutron's get_marker_obj reads it by id), and the page is
   * the filtered rows after it (one not found: the first page, the last reversed,
   * as Neutron's Pager); keyset conditions treat NULL as the smallest
   * value, as the API's sort does.
   */
  private rows(q: ListQuery<K, S>): Row[] {
    const { t, fields } = this;
    const { db } = this.sql;
    const id = `${t.alias}.id`;
    const from = `FROM ${t.name} ${t.alias} JOIN standard_attrs s ON s.id = ${t.alias}.std_id ${t.joined?.from ?? ''}`;
    // what the caller may see (where the marker is looked for), then the filters
    const seen: string[] = [];
    const seenParams: unknown[] = [];
    if (q.visibleTo !== undefined) {
      seen.push(`(${t.visible})`);
      for (let n = t.visible.split('?').length - 1; n > 0; n--) seenParams.push(q.visibleTo);
    }
    const conds = [...seen];
    const params: unknown[] = [...seenParams];
    for (const [field, values] of Object.entries(q.where ?? {}) as [K, readonly Scalar[]][]) {
      const col = fields[field];
      const some = values.filter((v) => v !== null);
      const alts = [...(some.length ? [`${col} IN (${some.map(() => '?').join(', ')})`] : []), ...(some.length < values.length ? [`${col} IS NULL`] : [])];
      conds.push(alts.length ? `(${alts.join(' OR ')})` : '0');
      params.push(...some.map(param));
    }
    // a set filter: a child row of the row holds one of the values (equal to it, or LIKE '%value%')
    const inSet = (set: S, values: readonly string[], match: string) => {
      const { child, column } = t.sets![set];
      const c = t.children![child];
      conds.push(values.length
        ? `EXISTS (SELECT 1 FROM ${c.table} x WHERE x.${c.owner} = ${id} AND (${values.map(() => `x.${column} ${match}`).join(' OR ')}))`
        : '0');
    };
    for (const [set, values] of Object.entries(q.has ?? {}) as [S, readonly string[]][]) {
      inSet(set, values, '= ?');
      params.push(...values);
    }
    for (const [set, values] of Object.entries(q.like ?? {}) as [S, readonly string[]][]) {
      inSet(set, values, 'LIKE ?');
      params.push(...values.map((v) => `%${v}%`));
    }
    // tags (objects/tag.py _apply_tag_filters): each filter's tags, held all or any, or not
    const held = () => `EXISTS (SELECT 1 FROM tags g WHERE g.std_id = s.id AND g.tag = ?)`;
    for (const [filter, tags] of Object.entries(q.tags ?? {}) as [TagFilter, readonly string[]][]) {
      const all = filter === 'tags' || filter === 'not-tags';
      const test = `(${tags.map(held).join(all ? ' AND ' : ' OR ')})`;
      conds.push(filter.startsWith('not-') ? `NOT ${test}` : test);
      params.push(...tags);
    }
    // unsorted, unpaged, not reversed: creation order (standard attribute ids grow); else the sort keys, then the id
    const paged = q.sorts?.length || q.limit !== undefined || q.marker !== undefined || q.pageReverse;
    const sorts: [string, boolean][] = [...(q.sorts ?? []).map(([k, d]): [string, boolean] => [fields[k], d === 'asc']), [paged ? id : 's.id', true]];
    // a reversed page is the page before the marker: walk the order backwards, then turn a cut page round
    // (Neutron's plugins leave an uncut one walked backwards)
    const order = q.pageReverse ? sorts.map(([c, asc]): [string, boolean] => [c, !asc]) : sorts;
    if (q.marker !== undefined) {
      const at = db.one(`SELECT ${order.map(([c], i) => `${c} AS k${i}`).join(', ')} ${from} WHERE ${[...seen, `${id} = ?`].join(' AND ')}`,
        ...seenParams, q.marker);
      if (at) {
        const after = keysetAfter(order, order.map((_, i) => at[`k${i}`]));
        conds.push(after.sql);
        params.push(...after.params);
      }
    }
    const select = `${t.alias}.*, ${t.joined ? `${t.joined.select}, ` : ''}${STD_COLUMNS}`;
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const orderBy = `ORDER BY ${order.map(([c, asc]) => `${c} ${asc ? 'ASC' : 'DESC'}`).join(', ')}`;
    const limit = q.limit !== undefined ? `LIMIT ${Math.floor(q.limit)}` : '';
    const rows = db.all(`SELECT ${select} ${from} ${where} ${orderBy} ${limit}`, ...params);
    return q.pageReverse && q.limit !== undefined ? rows.reverse() : rows;
  }

  /** A new row of the table, on a new standard attribute; `values` by column (`id` included). */
  protected insert(values: Record<string, unknown>, description: string | null, revision?: number): number {
    const { db } = this.sql;
    const stdId = newStd(db, this.t.stdType, description, revision);
    const cols = [...Object.keys(values), 'std_id'];
    db.run(`INSERT INTO ${this.t.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      ...Object.entries(values).map(([col, v]) => this.value(col, v)), stdId);
    return stdId;
  }

  /** Sets the row's columns named by `changes`' keys (each a column of the table). */
  protected setColumns(id: string, changes: object): void {
    for (const [col, v] of Object.entries(changes)) {
      this.sql.db.run(`UPDATE ${this.t.name} SET ${col} = ? WHERE id = ?`, this.value(col, v), id);
    }
  }

  private value(col: string, v: unknown): unknown {
    return this.t.json?.includes(col) ? JSON.stringify(v) : param(v);
  }

  protected stdId(id: string): number {
    return this.sql.db.one(`SELECT std_id FROM ${this.t.name} WHERE id = ?`, id)!.std_id as number;
  }

  /** Deletes the row (its children cascade) and logs it. */
  protected deleteRow(id: string, parent: string | null = null): void {
    this.sql.db.run(`DELETE FROM ${this.t.name} WHERE id = ?`, id);
    this.changed(id, 'delete', parent);
  }

  protected changed(id: string, action: string, parent: string | null = null): void {
    changed(this.sql.db, this.t.resource, id, action, parent);
  }
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
