/**
 * The snapshot of JSON files holding Neutron's answers: each file is the body
 * of a GET /v2.0 listing ({"ports": [...]}) or several in one object (a
 * combined file, such as `portsec snapshot` writes). A directory stands for
 * the per-resource files in it, each possibly in pages (ports.json,
 * ports-page2.json, …: every page is read, in order). A page whose
 * `<resource>_links` has a "next" link must be followed by that page in the
 * dump, or the dump is refused: an audit of part of a cloud reports what the
 * rest uses as unused. Security groups may carry their rules
 * embedded, as GET /security-groups returns them, in place of a rules file.
 * The agents (GET /v2.0/agents as an admin: agents.json, or the key `agents`)
 * are optional: with the ports' bindings they tell each port's firewall; so are
 * the instances (Nova's GET /servers, or `openstack server list -f json` as
 * servers.json), whose names can-reach takes, and the address groups rules name
 * (GET /v2.0/address-groups: address_groups.json). The path `-` is standard input.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Snapshot, type SnapshotAddressGroup, type SnapshotAgent, type SnapshotServer } from '../snapshot.js';
import { InputError } from './errors.js';
import { parseAgents } from './port-backends.js';
import { eagerList, type ItemList } from '../items.js';
import { type AgentsRead, assembleLists, type Collection, COLLECTIONS, embeddedRules, lazyCollection, type Parsed, type ParsedLists, parseAddressGroups, parseCollection, parseServers } from './schema.js';

/** The files a directory may hold, per collection, as `openstack`-minded users name them. */
const DIRECTORY_FILES: Record<Collection, string[]> = {
  networks: ['networks.json'],
  subnets: ['subnets.json'],
  ports: ['ports.json'],
  security_groups: ['security_groups.json', 'security-groups.json'],
  security_group_rules: ['security_group_rules.json', 'security-group-rules.json'],
};

const AGENTS_FILE = 'agents.json';
const SERVERS_FILE = 'servers.json';
const ADDRESS_GROUP_FILES = ['address_groups.json', 'address-groups.json'];

/** What a file may hold: the five collections, the agents, the instances and the address groups. */
type Resource = Collection | 'agents' | 'servers' | 'address_groups';
const RESOURCES: Resource[] = [...COLLECTIONS, 'agents', 'servers', 'address_groups'];

/**
 * A page's number in a file name: `ports-page2.json`, `ports_page_2.json`, `ports-2.json` (the
 * first page may be `ports.json`, page 1). Pages are read in this order.
 */
const PAGE_SUFFIX = '(?:[-_.]?page[-_.]?|[-_.])(\\d+)\\.json$';

function pageOf(file: string): number {
  const m = new RegExp(PAGE_SUFFIX, 'i').exec(basename(file));
  return m ? Number(m[1]) : 1;
}

/** The files of a directory: every page of each resource's file, in page order; pages must run without a gap. */
function directoryFiles(dir: string, present: string[]): string[] {
  const names: [Resource, string][] = [
    ...Object.entries(DIRECTORY_FILES).flatMap(([c, files]) => files.map((f): [Resource, string] => [c as Collection, f])),
    ['agents', AGENTS_FILE],
    ['servers', SERVERS_FILE],
    ...ADDRESS_GROUP_FILES.map((f): [Resource, string] => ['address_groups', f]),
  ];
  const found: string[] = [];
  for (const [resource, name] of names) {
    const base = name.slice(0, -'.json'.length).replace(/[-.]/g, '\\$&');
    const page = new RegExp(`^${base}(?:\\.json$|${PAGE_SUFFIX})`, 'i');
    const pages = present.filter((f) => page.test(f)).sort((a, b) => pageOf(a) - pageOf(b));
    // numbered from 0 or 1 (ports.json is 1), one file per page
    const first = Math.min(pages.length ? pageOf(pages[0]) : 1, 1);
    pages.forEach((f, i) => {
      if (pageOf(f) === first + i) return;
      const why = pageOf(f) < first + i ? `is also ${pages[i - 1]}` : `comes without page ${first + i}`;
      throw new InputError(`${join(dir, f)}: ${resource} page ${pageOf(f)} ${why} in ${dir}`);
    });
    found.push(...pages.map((f) => join(dir, f)));
  }
  return found;
}

/** `-`: standard input (one body, or a combined file as `portsec snapshot` writes). */
const STDIN = '-';

function filesOf(path: string): string[] {
  if (path === STDIN) return [path];
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new InputError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (!isDir) return [path];
  const found = directoryFiles(path, readdirSync(path));
  // agents, instances and address groups alone are no snapshot
  if (!found.some((f) => !/^(agents|servers|address[-_]groups)/.test(basename(f)))) throw new InputError(`${path}: none of ${Object.values(DIRECTORY_FILES).flat().join(', ')} (or their pages, ports-page2.json, …) in this directory`);
  return found;
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file === STDIN ? 0 : file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not JSON: ${(e as Error).message}`);
  }
  // `openstack server list -f json` prints a bare list
  if (Array.isArray(value) && basename(file).startsWith('servers')) return { servers: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !RESOURCES.some((c) => c in value)) {
    throw new InputError(`${file}: expected a Neutron API answer: an object with one or more of the keys ${RESOURCES.join(', ')}`);
  }
  return value as Record<string, unknown>;
}

/** One resource's part of one file. */
interface Page<L> { file: string; items: L; next?: string }

/** The `<resource>_links` "next" of a body (GET answers with a limit carry one unless the page is the last). */
function nextLink(body: Record<string, unknown>, resource: Resource): string | undefined {
  const links = body[`${resource}_links`];
  const next = Array.isArray(links) ? links.find((l) => (l as { rel?: unknown } | null)?.rel === 'next') as { href?: unknown } | undefined : undefined;
  return next && (typeof next.href === 'string' ? next.href : '(no href)');
}

/**
 * A resource's pages in page order; a page linking a next one must be followed by one:
 * a dump that stops there is a part of the cloud, and an audit of a part would call
 * what the rest uses unused.
 */
function inPageOrder<L>(pages: Page<L>[], resource: Resource): Page<L>[] {
  const ordered = pages.map((p, i) => ({ p, i })).sort((a, b) => pageOf(a.p.file) - pageOf(b.p.file) || a.i - b.i).map(({ p }) => p);
  const last = ordered[ordered.length - 1];
  if (last?.next !== undefined) {
    throw new InputError(`${resource}: ${last.file} has a next link whose page is not in the dump (${last.next}): save every page (ports-page2.json, …) or use \`portsec snapshot\``);
  }
  return ordered;
}

/**
 * One resource's items from every page that has it; an id twice must be the same object twice (pages of one listing), or the dump is a mistake.
 * Items are read as the pages' lists read them (a dump's ports and rules are checked when first read: items.ts).
 */
function merge<T>(found: Page<ItemList<T>>[], resource: Resource, idOf: (items: ItemList<T>, i: number) => string): ItemList<T> {
  // ids only, and texts only for an id seen twice (bench/audit: stringifying 300,000 items to compare none of them cost a second per read)
  const pages = inPageOrder(found, resource);
  // each id's place in the merged list: the cloud's lookup by id (bench/audit: hashing 100,000 ids twice showed)
  const seen = new Map<string, number>();
  // which item of which page each kept one is (numbers: an object each cost more than the set)
  const keptPage: number[] = [];
  const keptItem: number[] = [];
  const position = (items: ItemList<T>, id: string) => {
    for (let j = 0; j < items.length; j++) if (idOf(items, j) === id) return j;
    return -1;
  };
  pages.forEach(({ file, items }, page) => {
    for (let i = 0; i < items.length; i++) {
      const id = idOf(items, i);
      if (!seen.has(id)) {
        seen.set(id, keptItem.length);
        keptPage.push(page);
        keptItem.push(i);
        continue;
      }
      const first = pages.find((p) => position(p.items, id) >= 0)!;
      if (JSON.stringify(first.items.at(position(first.items, id))) !== JSON.stringify(items.at(i))) throw new InputError(`${file}: ${resource}: ${id} is also in ${first.file}, with other attributes`);
    }
  });
  // one page without an id twice (a dump as `portsec snapshot` writes it): its own list
  if (pages.length === 1 && keptItem.length === pages[0].items.length) return { ...pages[0].items, places: seen };
  const at = (k: number) => pages[keptPage[k]].items.at(keptItem[k]);
  let whole: T[] | undefined;
  return {
    length: keptItem.length,
    places: seen,
    at,
    fields: (k, keys) => pages[keptPage[k]].items.fields(keptItem[k], keys),
    all: () => {
      // every page checked whole first: its error names the page's first problem
      for (const { items } of pages) items.all();
      return (whole ??= keptItem.map((_, k) => at(k)));
    },
  };
}

const ID = ['id'] as const;
const byId = <T extends { id: string }>(items: ItemList<T>, i: number) => items.fields(i, ID).id;
const all = <T>(list: ItemList<T>) => list.all();

/**
 * The snapshot of the files. `asRead`: their ports and rules are checked as a question reads them
 * (a one-off can-reach: items.ts), else every item is checked as its file is read.
 */
export function fromFiles(paths: string[], asRead = false): Snapshot {
  if (!paths.length) throw new InputError('no files given');
  const found: { [C in Collection]: Page<ItemList<Parsed[C][number]>>[] } = {
    networks: [], subnets: [], ports: [], security_groups: [], security_group_rules: [],
  };
  const agents: Page<ItemList<SnapshotAgent>>[] = [];
  const servers: Page<ItemList<SnapshotServer>>[] = [];
  const addressGroups: Page<ItemList<SnapshotAddressGroup>>[] = [];
  for (const file of new Set(paths.flatMap(filesOf))) {
    const body = readJson(file);
    for (const r of RESOURCES) {
      const next = nextLink(body, r);
      if (!(r in body) && next === undefined) continue;
      if (r === 'agents') agents.push({ file, items: eagerList(r in body ? parseAgents(body.agents, file) : []), next });
      else if (r === 'servers') servers.push({ file, items: eagerList(r in body ? parseServers(body.servers, file) : []), next });
      else if (r === 'address_groups') addressGroups.push({ file, items: eagerList(r in body ? parseAddressGroups(body.address_groups, file) : []), next });
      else if (r === 'ports' || r === 'security_group_rules') {
        const items: ItemList<unknown> = r in body ? lazyCollection(r, body[r], file) : eagerList([]);
        if (!asRead) items.all();
        (found[r] as Page<ItemList<unknown>>[]).push({ file, items, next });
      } else (found[r] as Page<ItemList<unknown>>[]).push({ file, items: eagerList<unknown>(r in body ? parseCollection(r, body[r], file) : []), next });
    }
  }
  const missing = COLLECTIONS.filter((c) => c !== 'security_group_rules' && !found[c].length);
  if (missing.length) {
    throw new InputError(`${paths.join(', ')}: no ${missing.join(', ')} (expected ${missing.map((c) => DIRECTORY_FILES[c][0]).join(', ')} or a file with the key${missing.length > 1 ? 's' : ''} ${missing.join(', ')})`);
  }
  const groups = inPageOrder(found.security_groups, 'security_groups');
  const parsed: ParsedLists = {
    networks: all(merge(found.networks, 'networks', byId)),
    subnets: all(merge(found.subnets, 'subnets', byId)),
    ports: merge(found.ports, 'ports', byId),
    security_groups: all(merge(groups, 'security_groups', byId)),
    security_group_rules: merge(found.security_group_rules.length
      ? found.security_group_rules
      : groups.map(({ file, items }) => ({ file, items: eagerList(embeddedRules(items.all(), file)) })), 'security_group_rules', byId),
  };
  const read: AgentsRead = agents.length
    ? { agents: all(merge(agents, 'agents', (items, i) => JSON.stringify(items.at(i)))), how: `agents from ${agents.map((a) => a.file).join(', ')}` }
    : { agents: null, how: 'no agents in the files (GET /v2.0/agents as an admin: agents.json, or the key "agents")' };
  const snapshot = assembleLists(`files ${paths.join(', ')}`, parsed, read, asRead);
  if (servers.length) snapshot.servers = all(merge(servers, 'servers', byId));
  if (addressGroups.length) snapshot.address_groups = all(merge(addressGroups, 'address_groups', byId));
  return snapshot;
}
