/**
 * List queries as Neutron's API layer handles them: filter validation and
 * matching, sort keys and directions, limit/marker/page_reverse with
 * `<collection>_links`, and `fields` (the view narrowing happens later).
 */
import { type z } from 'zod';
import { errors } from '../model/errors.js';
import { type ResourceSpec } from '../model/schema.js';
import { type Column, type SetColumn, type View } from '../store/handler.js';
import { type ListQuery as StoreQuery, type Scalar, type TagFilter } from '../store/repository.js';

export type Params = [string, string][];

const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);
const TAG_FILTERS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

export interface ListQuery {
  fields: string[];
  filters: Map<string, string[]>;
  sorts: [string, 'asc' | 'desc'][];
  limit?: number;
  marker?: string;
  pageReverse: boolean;
}

export function parseListQuery(spec: ResourceSpec, params: Params): ListQuery {
  const all = (k: string) => params.filter(([key]) => key === k).map(([, v]) => v);
  const filters = new Map<string, string[]>();
  for (const [k, v] of params) {
    if (CONTROL.has(k)) continue;
    filters.set(k, [...(filters.get(k) ?? []), v]);
  }
  const invalid = [...filters.keys()].filter((k) => !spec.attrs[k]?.filter && !TAG_FILTERS.has(k));
  if (invalid.length) throw errors.badRequest(`${pyList(invalid)} is invalid attribute for filtering`);
  for (const [k, values] of filters) filters.set(k, values.map((v) => convertFilter(spec.attrs[k]?.filterAs, v)));

  const keys = all('sort_key');
  const dirs = all('sort_dir');
  if (keys.length !== dirs.length) throw errors.badRequest('The number of sort_keys and sort_dirs must be same');
  const badKeys = keys.filter((k) => !spec.attrs[k]?.sort);
  if (badKeys.length) throw errors.badRequest(`${pyList(badKeys)} is invalid attribute for sort_keys`);
  const badDirs = dirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length) throw errors.badRequest(`${pyList(badDirs)} is invalid value for sort_dirs, valid value is 'asc' and 'desc'`);

  // a resource without pagination (rbac-policies: allow_pagination=False) reads no page parameters at all
  const limitText = spec.unpaged ? undefined : all('limit')[0];
  let limit: number | undefined;
  if (limitText !== undefined) {
    if (!/^[0-9]+$/.test(limitText)) throw errors.badLimit(`Limit must be an integer 0 or greater and not '${limitText}'`);
    limit = Number(limitText) || undefined;
  }
  return {
    fields: all('fields'),
    filters,
    sorts: keys.map((k, i) => [k, dirs[i] as 'asc' | 'desc']),
    limit,
    // get_limit_and_marker: without a page (no limit, or 0) the marker is not read
    marker: limit === undefined ? undefined : all('marker')[0],
    pageReverse: !spec.unpaged && (all('page_reverse')[0] ?? '').toLowerCase() === 'true',
  };
}

/** A filter value through its attribute's convert_to, as the text it then matches. */
function convertFilter(as: z.ZodType | undefined, v: string): string {
  if (!as) return v;
  const res = as.safeParse(v);
  if (!res.success) throw errors.invalidInput(res.error.issues[0]?.message ?? 'invalid');
  return filterText(res.data);
}

/** The text a filter value is compared with: Python's str() of the attribute. */
function filterText(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

const BOOL_WORDS: Record<string, string> = { true: 'True', false: 'False', '1': 'True', '0': 'False' };

/** Filters on attributes the store does not hold as such (applied to views). */
export function applyFilters(items: View[], filters: Map<string, string[]>): View[] {
  return items.filter((item) => [...filters].every(([key, values]) => {
    const v = item[key];
    const text = filterText(v);
    return values.some((x) => text === x || (typeof v === 'boolean' && BOOL_WORDS[x.toLowerCase()] === text));
  }));
}

/** The stored values an API filter value matches, as applyFilters compares (Python's str() of the attribute). */
function storedValues(type: Column['type'], text: string): Scalar[] {
  const int = /^-?\d+$/.test(text) && String(Number(text)) === text ? [Number(text)] : [];
  switch (type) {
    case 'text': return [text];
    case 'text?': return text === 'None' ? [null, text] : [text];
    case 'bool': return BOOL_WORDS[text.toLowerCase()] === undefined ? [] : [BOOL_WORDS[text.toLowerCase()] === 'True'];
    case 'int': return int;
    case 'int?': return text === 'None' ? [null] : int;
  }
}

/** Neutron's convert_kvp_list_to_dict: `key=value` filter values as key → values. */
function keyValues(values: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // a filter given as a bare flag (`?fixed_ips`, read as True) names no pair
  if (values.length === 1 && values[0] === 'True') return out;
  for (const text of values) {
    const at = text.indexOf('=');
    const key = at < 0 ? '' : text.slice(0, at).trim();
    if (!key) throw errors.invalidInput(`'${text}' is not of the form <key>=[value]`);
    out.set(key, [...(out.get(key) ?? []), text.slice(at + 1).trim()]);
  }
  return out;
}

/**
 * The list query as a repository query: the filters on stored columns and sets,
 * and the tag filters, done by the database. `rest`: the filters it cannot do
 * (attributes not stored as such), there when some filter or sort key is not stored:
 * then the API filters those (applyFilters) and sorts and pages (page), and the
 * query has no sorts and no page. The database filters before it pages, as Neutron does.
 */
export function storeQuery(q: ListQuery, columns: Record<string, Column>, sets: Record<string, SetColumn> = {}): {
  query: StoreQuery<string, string>;
  rest?: Map<string, string[]>;
} {
  const where: Record<string, Scalar[]> = {};
  const has: Record<string, string[]> = {};
  const like: Record<string, string[]> = {};
  const tags: Partial<Record<TagFilter, string[]>> = {};
  const rest = new Map<string, string[]>();
  // two attributes on one field (tenant_id and project_id) must both match
  const narrow = (field: string, accepted: Scalar[]) => {
    where[field] = field in where ? where[field].filter((v) => accepted.includes(v)) : accepted;
  };
  for (const [k, values] of q.filters) {
    const column = columns[k];
    const set = sets[k];
    if (TAG_FILTERS.has(k)) {
      // _get_tag_list: every value, split at commas, once each
      tags[k as TagFilter] = [...new Set(values.flatMap((v) => v.split(',')))];
    } else if (column) {
      narrow(column.field, values.flatMap((v) => storedValues(column.type, v)));
    } else if (set && 'set' in set) {
      has[set.set] = values;
    } else if (set) {
      for (const [key, wanted] of keyValues(values)) {
        const to = set.keys[key];
        if (to) (to.like ? like : has)[to.set] = wanted;
      }
    } else {
      rest.set(k, values);
    }
  }
  const filters = { where, has, like, tags };
  if (rest.size || q.sorts.some(([k]) => !columns[k])) return { query: filters, rest };
  return { query: { ...filters, sorts: q.sorts.map(([k, dir]) => [columns[k].field, dir]), limit: q.limit, marker: q.marker, pageReverse: q.pageReverse } };
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

/**
 * Sorts (id breaks ties, as Neutron's pagination does) and cuts one page: the
 * items after `marker` (before it, reversed), the marker being the item of
 * `q.marker` the caller sees, filtered or not (undefined when none: the page is
 * the first, or the last reversed), as the store's lists do. Reversed without a
 * limit, the items come walked backwards: Neutron's plugins turn only a cut page round.
 */
export function page(items: View[], q: ListQuery, marker?: View): { items: View[]; paged: boolean } {
  const sorts: [string, 'asc' | 'desc'][] = [...q.sorts, ['id', 'asc']];
  const order = (a: View, b: View) => {
    for (const [k, dir] of sorts) {
      const c = compare(a[k], b[k]);
      if (c) return dir === 'asc' ? c : -c;
    }
    return 0;
  };
  const paged = q.limit !== undefined;
  const sorted = q.sorts.length || paged || q.pageReverse ? [...items].sort(order) : items;
  if (q.pageReverse) {
    const before = marker ? sorted.filter((i) => order(i, marker) < 0) : sorted;
    return { items: paged ? before.slice(Math.max(before.length - q.limit!, 0)) : before.reverse(), paged };
  }
  const after = marker ? sorted.filter((i) => order(i, marker) > 0) : sorted;
  return { items: paged ? after.slice(0, q.limit) : after, paged };
}

/**
 * `<collection>_links` (get_pagination_links): next unless a short page going
 * forward ended the list, previous unless a short page going back did; an empty
 * page's links name no marker.
 */
export function pageLinks(base: string, params: Params, items: View[], limit: number, reverse: boolean): { rel: string; href: string }[] {
  const kept = params.filter(([k]) => k !== 'marker' && k !== 'page_reverse');
  const href = (marker: View | undefined, back: boolean) => {
    const qs = [...kept, ...(marker ? [['marker', String(marker.id)]] : []), ...(back ? [['page_reverse', 'True']] : [])]
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    return `${base}?${qs}`;
  };
  const short = items.length < limit;
  const links = [];
  if (!short || reverse) links.push({ rel: 'next', href: href(items[items.length - 1], false) });
  if (!short || !reverse) links.push({ rel: 'previous', href: href(items[0], true) });
  return links;
}
