/**
 * The snapshot of a live OpenStack cloud: log in (Keystone v3 or none), then
 * list the five collections from Neutron page by page, asking only for the
 * attributes the analyzer reads. Collections are read one after the other, so
 * a busy cloud is asked one thing at a time; a cloud that changes meanwhile
 * may be caught half-way through a change, as any listing can be.
 */
import { type Snapshot } from '../snapshot.js';
import { type CloudConfig, type CloudOptions, resolveCloud } from './cloud-config.js';
import { InputError } from './errors.js';
import { type Answer, errorText, request } from './http.js';
import { connect, type Session } from './keystone.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { assemble, type Collection, COLLECTIONS, fieldsOf, type Parsed, parseCollection } from './schema.js';

export interface ImportOptions extends CloudOptions {
  /** items per request (Neutron's `limit`); the server may send fewer, its links say where to go on */
  pageSize?: number;
}

export const DEFAULT_PAGE_SIZE = 1000;

function refused(c: CloudConfig, s: Session, a: Answer, url: string, collection: Collection): InputError {
  const text = errorText(a);
  if (a.status === 401) {
    const how = c.authType === 'none' ? 'a request without a token: give credentials (--os-auth-url, --os-username, …)' : 'the token';
    return new InputError(`${c.label}: Neutron at ${s.neutron} refused ${how} (${text})`);
  }
  if (a.status === 403) return new InputError(`${c.label}: not allowed to list ${collection} (${text})`);
  if (a.status === 404) return new InputError(`${c.label}: GET ${url} answered ${text}: is ${s.neutron} Neutron's endpoint?`);
  return new InputError(`${c.label}: GET ${url} answered ${text}`);
}

/** Every item of one collection, following the `<collection>_links` "next" markers. */
async function listAll(c: CloudConfig, s: Session, collection: Collection, pageSize: number, progress: Progress): Promise<unknown[]> {
  const base = `${s.neutron}/v2.0/${collection.replace(/_/g, '-')}`;
  const query = new URLSearchParams([...fieldsOf(collection).map((f) => ['fields', f]), ['limit', String(pageSize)]]).toString();
  const items: unknown[] = [];
  const markers = new Set<string>();
  let marker: string | null = null;
  for (;;) {
    // the next link's host may be what a proxy hides: keep ours, take only its marker
    const url = `${base}?${query}${marker === null ? '' : `&marker=${encodeURIComponent(marker)}`}`;
    const answer = await request('GET', url, s.headers, c.timeoutMs);
    if (answer.status !== 200) throw refused(c, s, answer, url, collection);
    const body = answer.body as Record<string, unknown> | undefined;
    const page = body?.[collection];
    if (!Array.isArray(page)) throw new InputError(`${c.label}: GET ${url} answered without a "${collection}" list: is ${s.neutron} Neutron's endpoint?`);
    for (const item of page) items.push(item);
    progress.count(collection, items.length);
    const links = body?.[`${collection}_links`];
    const next = Array.isArray(links) ? (links as { rel?: string; href?: string }[]).find((l) => l.rel === 'next')?.href : undefined;
    if (!next || !page.length) return items;
    marker = new URL(next, base).searchParams.get('marker');
    if (marker === null || markers.has(marker)) throw new InputError(`${c.label}: GET ${url}: the next link ${next} does not move on (no new marker)`);
    markers.add(marker);
  }
}

export async function fromCloud(o: ImportOptions, progress: Progress = NO_PROGRESS): Promise<Snapshot> {
  const pageSize = o.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new InputError(`page size ${pageSize}: expected a whole number above 0`);
  const config = resolveCloud(o);
  const session = await connect(config);
  const where = config.label.endsWith(session.neutron) ? config.label : `${config.label} (${session.neutron})`;
  const parsed: Partial<Parsed> = {};
  try {
    for (const collection of COLLECTIONS) {
      (parsed as Record<Collection, unknown>)[collection] = parseCollection(collection, await listAll(config, session, collection, pageSize, progress), where);
    }
  } finally {
    progress.done();
  }
  return assemble(where, parsed as Parsed);
}
