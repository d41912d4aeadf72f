/**
 * The snapshot of JSON files holding Neutron's answers: each file is the body
 * of a GET /v2.0 listing ({"ports": [...]}) or several in one object (a
 * combined file, such as `portsec snapshot` writes). A directory stands for
 * the per-resource files in it. Security groups may carry their rules
 * embedded, as GET /security-groups returns them, in place of a rules file.
 * The agents (GET /v2.0/agents as an admin: agents.json, or the key `agents`)
 * are optional: with the ports' bindings they tell each port's firewall.
 * The path `-` is standard input.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Snapshot, type SnapshotAgent } from '../snapshot.js';
import { InputError } from './errors.js';
import { parseAgents } from './port-backends.js';
import { type AgentsRead, assemble, type Collection, COLLECTIONS, embeddedRules, type Parsed, parseCollection } from './schema.js';

/** The files a directory may hold, per collection, as `openstack`-minded users name them. */
const DIRECTORY_FILES: Record<Collection, string[]> = {
  networks: ['networks.json'],
  subnets: ['subnets.json'],
  ports: ['ports.json'],
  security_groups: ['security_groups.json', 'security-groups.json'],
  security_group_rules: ['security_group_rules.json', 'security-group-rules.json'],
};

const AGENTS_FILE = 'agents.json';

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
  const present = new Set(readdirSync(path));
  const found = Object.values(DIRECTORY_FILES).flat().filter((name) => present.has(name)).map((name) => join(path, name));
  if (found.length && present.has(AGENTS_FILE)) found.push(join(path, AGENTS_FILE));
  if (!found.length) throw new InputError(`${path}: none of ${Object.values(DIRECTORY_FILES).flat().join(', ')} in this directory`);
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
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ![...COLLECTIONS, 'agents'].some((c) => c in value)) {
    throw new InputError(`${file}: expected a Neutron API answer: an object with one or more of the keys ${[...COLLECTIONS, 'agents'].join(', ')}`);
  }
  return value as Record<string, unknown>;
}

/** One collection's items from every file that has it; an id in two places is a mistake in the dump. */
function merge<T extends { id: string }>(found: { file: string; items: T[] }[], collection: Collection): T[] {
  const seen = new Map<string, string>();
  for (const { file, items } of found) {
    for (const item of items) {
      const other = seen.get(item.id);
      if (other !== undefined) throw new InputError(`${file}: ${collection}: ${item.id} is also in ${other}`);
      seen.set(item.id, file);
    }
  }
  return found.flatMap((f) => f.items);
}

export function fromFiles(paths: string[]): Snapshot {
  if (!paths.length) throw new InputError('no files given');
  const found: { [C in Collection]: { file: string; items: Parsed[C] }[] } = {
    networks: [], subnets: [], ports: [], security_groups: [], security_group_rules: [],
  };
  const agents: { file: string; items: SnapshotAgent[] }[] = [];
  for (const file of paths.flatMap(filesOf)) {
    const body = readJson(file);
    for (const c of COLLECTIONS) {
      if (c in body) (found[c] as { file: string; items: unknown }[]).push({ file, items: parseCollection(c, body[c], file) });
    }
    if ('agents' in body) agents.push({ file, items: parseAgents(body.agents, file) });
  }
  const missing = COLLECTIONS.filter((c) => c !== 'security_group_rules' && !found[c].length);
  if (missing.length) {
    throw new InputError(`${paths.join(', ')}: no ${missing.join(', ')} (expected ${missing.map((c) => DIRECTORY_FILES[c][0]).join(', ')} or a file with the key${missing.length > 1 ? 's' : ''} ${missing.join(', ')})`);
  }
  const parsed: Parsed = {
    networks: merge(found.networks, 'networks'),
    subnets: merge(found.subnets, 'subnets'),
    ports: merge(found.ports, 'ports'),
    security_groups: merge(found.security_groups, 'security_groups'),
    security_group_rules: found.security_group_rules.length
      ? merge(found.security_group_rules, 'security_group_rules')
      : found.security_groups.flatMap(({ file, items }) => embeddedRules(items, file)),
  };
  const read: AgentsRead = agents.length
    ? { agents: agents.flatMap((a) => a.items), how: `agents from ${agents.map((a) => a.file).join(', ')}` }
    : { agents: null, how: 'no agents in the files (GET /v2.0/agents as an admin: agents.json, or the key "agents")' };
  return assemble(`files ${paths.join(', ')}`, parsed, read);
}
