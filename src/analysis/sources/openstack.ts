/**
 * The snapshot of a live OpenStack cloud: log in (Keystone v3 or none), then
 * list the five collections from Neutron page by page, asking only for the
 * attributes the analyzer reads, then the agents (which tell each host's firewall). Collections are read one after the other, so
 * a busy cloud is asked one thing at a time; a cloud that changes meanwhile
 * may be caught half-way through a change, as any listing can be.
 */
import { type Snapshot, type SnapshotAddressGroup } from '../snapshot.js';
import { type CloudConfig, type CloudOptions, resolveCloud } from './cloud-config.js';
import { InputError } from './errors.js';
import { type Answer, errorText, type Method, request } from './http.js';
import { connect, type Session } from './keystone.js';
import { NO_PROGRESS, type Progress } from './progress.js';
import { AGENT_FIELDS, parseAgents } from './port-backends.js';
import { type AgentsRead, assemble, type Collection, COLLECTIONS, embeddedRules, fieldsOf, type Parsed, parseAddressGroups, parseCollection } from './schema.js';

export interface ImportOptions extends CloudOptions {
  /** items per request (Neutron's `limit`); the server may send fewer, its links say where to go on */
  pageSize?: number;
}

export const DEFAULT_PAGE_SIZE = 1000;

function refused(c: CloudConfig, s: Session, a: Answer, url: string, collection: Collection | 'agents' | 'address_groups'): InputError {
  const text = errorText(a);
  if (a.status === 401) {
    const how = c.authType === 'none' ? 'a request without a token: give credentials (--os-auth-url, --os-username, …)' : 'the token';
    return new InputError(`${c.label}: Neutron at ${s.neutron} refused ${how} (${text})`);
  }
  if (a.status === 403) return new InputError(`${c.label}: not allowed to list ${collection} (${text})`);
  if (a.status === 404) return new InputError(`${c.label}: GET ${url} answered ${text}: is ${s.neutron} Neutron's endpoint?`);
  return new InputError(`${c.label}: GET ${url} answered ${text}`);
}

/** A listing the cloud refused: its answer, for the caller to judge. */
class Refused {
  constructor(readonly answer: Answer, readonly url: string) {}
}

/** Every item of one listing (GET /v2.0/<path>, the items under `key`), following the `<key>_links` "next" markers. */
async function listPages(c: CloudConfig, s: Session, key: string, fields: string[], pageSize: number, progress: Progress,
  filters: [string, string][] = []): Promise<unknown[] | Refused> {
  const base = `${s.neutron}/v2.0/${key.replace(/_/g, '-')}`;
  const query = new URLSearchParams([...filters, ...fields.map((f) => ['fields', f]), ['limit', String(pageSize)]]).toString();
  const items: unknown[] = [];
  const markers = new Set<string>();
  let marker: string | null = null;
  for (;;) {
    // the next link's host may be what a proxy hides: keep ours, take only its marker
    const url = `${base}?${query}${marker === null ? '' : `&marker=${encodeURIComponent(marker)}`}`;
    const answer = await request('GET', url, s.headers, c.timeoutMs);
    if (answer.status !== 200) return new Refused(answer, url);
    const body = answer.body as Record<string, unknown> | undefined;
    const page = body?.[key];
    if (!Array.isArray(page)) throw new InputError(`${c.label}: GET ${url} answered without a "${key}" list: is ${s.neutron} Neutron's endpoint?`);
    for (const item of page) items.push(item);
    progress.count(key, items.length);
    const links = body?.[`${key}_links`];
    const next = Array.isArray(links) ? (links as { rel?: string; href?: string }[]).find((l) => l.rel === 'next')?.href : undefined;
    if (!next || !page.length) return items;
    marker = new URL(next, base).searchParams.get('marker');
    if (marker === null || markers.has(marker)) throw new InputError(`${c.label}: GET ${url}: the next link ${next} does not move on (no new marker)`);
    markers.add(marker);
  }
}

async function listAll(c: CloudConfig, s: Session, collection: Collection, pageSize: number, progress: Progress): Promise<unknown[]> {
  const items = await listPages(c, s, collection, fieldsOf(collection), pageSize, progress);
  if (items instanceof Refused) throw refused(c, s, items.answer, items.url, collection);
  return items;
}

/**
 * The rules of the groups other projects share with the caller (RBAC): the caller reads them only
 * embedded in the groups (its rule listing holds its own projects' rules), so a port of its project
 * that holds such a group is analysed with the group's rules. A cloud without RBAC-shared groups
 * lists none (`shared` is then false everywhere).
 */
async function sharedGroupRules(c: CloudConfig, s: Session, pageSize: number, where: string): Promise<Parsed['security_group_rules']> {
  // not counted: the progress line's security_groups are the listing's
  const groups = await listPages(c, s, 'security_groups', [...fieldsOf('security_groups'), 'security_group_rules'], pageSize, NO_PROGRESS, [['shared', 'true']]);
  if (groups instanceof Refused) throw refused(c, s, groups.answer, groups.url, 'security_groups');
  return embeddedRules(parseCollection('security_groups', groups, where), where);
}

/**
 * The agents, which tell each host's firewall (port-backends.ts). Only admins see them: a refusal
 * (403), an absent API (404) or an empty list (Neutron drops what policy hides) leaves the backends
 * to the bindings, and is recorded, not an error.
 */
async function listAgents(c: CloudConfig, s: Session, pageSize: number, progress: Progress, where: string): Promise<AgentsRead> {
  const items = await listPages(c, s, 'agents', AGENT_FIELDS, pageSize, progress);
  if (items instanceof Refused) {
    const { status } = items.answer;
    if (status === 403 || status === 404) {
      return { agents: null, how: `GET /v2.0/agents: ${status === 403 ? 'not allowed (admins only)' : 'no agents API'} (${errorText(items.answer)}); each port's backend is what its binding shows` };
    }
    throw refused(c, s, items.answer, items.url, 'agents');
  }
  const agents = parseAgents(items, where);
  return { agents, how: agents.length ? `GET /v2.0/agents: ${agents.length} agent${agents.length > 1 ? 's' : ''}` : 'GET /v2.0/agents: none listed (no agent reported, or only admins see them)' };
}

/**
 * The address groups rules name as remotes: only when a rule names one (a cloud without the
 * extension answers 404, which is then an error: its rules cannot name one).
 */
async function listAddressGroups(c: CloudConfig, s: Session, pageSize: number, progress: Progress): Promise<SnapshotAddressGroup[]> {
  const items = await listPages(c, s, 'address_groups', ['id', 'addresses'], pageSize, progress);
  if (items instanceof Refused) throw refused(c, s, items.answer, items.url, 'address_groups');
  return parseAddressGroups(items, c.label);
}

/** A logged-in Neutron: the cloud's settings, the session, and the name a snapshot's source line gives it. */
export interface Neutron {
  config: CloudConfig;
  session: Session;
  where: string;
}

export async function openNeutron(o: CloudOptions): Promise<Neutron> {
  const config = resolveCloud(o);
  const session = await connect(config);
  return { config, session, where: config.label.endsWith(session.neutron) ? config.label : `${config.label} (${session.neutron})` };
}

/** One request to Neutron's API (`path` under /v2.0) with the session's headers; its status is the caller's to judge. */
export function neutronRequest(n: Neutron, method: Method, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return request(method, `${n.session.neutron}/v2.0/${path}`, { ...n.session.headers, ...headers }, n.config.timeoutMs, body);
}

/** The snapshot of a cloud already logged in to (a fix re-reads the cloud it wrote to with the same token). */
export async function readNeutron(n: Neutron, pageSize: number, progress: Progress = NO_PROGRESS): Promise<Snapshot> {
  const { config, session, where } = n;
  const parsed: Partial<Parsed> = {};
  let agents: AgentsRead;
  let addressGroups: SnapshotAddressGroup[] | undefined;
  try {
    for (const collection of COLLECTIONS) {
      (parsed as Record<Collection, unknown>)[collection] = parseCollection(collection, await listAll(config, session, collection, pageSize, progress), where);
    }
    const listed = new Set(parsed.security_group_rules!.map((r) => r.id));
    parsed.security_group_rules!.push(...(await sharedGroupRules(config, session, pageSize, where)).filter((r) => !listed.has(r.id)));
    agents = await listAgents(config, session, pageSize, progress, where);
    if (parsed.security_group_rules!.some((r) => r.remote_address_group_id !== undefined)) {
      addressGroups = await listAddressGroups(config, session, pageSize, progress);
    }
  } finally {
    progress.done();
  }
  const snapshot = assemble(where, parsed as Parsed, agents);
  return addressGroups ? { ...snapshot, address_groups: addressGroups } : snapshot;
}

/** The page size asked for, checked before logging in. */
export function pageSizeOf(o: ImportOptions): number {
  const pageSize = o.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new InputError(`page size ${pageSize}: expected a whole number above 0`);
  return pageSize;
}

export async function fromCloud(o: ImportOptions, progress: Progress = NO_PROGRESS): Promise<Snapshot> {
  const pageSize = pageSizeOf(o);
  return readNeutron(await openNeutron(o), pageSize, progress);
}
