/**
 * Agents follow the store without polling: the store signals a commit that logged
 * changes (after it, with the last seq; never for a rollback, a read or a write
 * the log does not hold), the runner coalesces wakes into one follow-up run, and
 * an agent reads only the groups a change names (a rule change, its group's, even
 * once the rule is gone). No kernel: the read is tested apart from the agent.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { coalesce } from '../src/cli/follow.js';
import { readChanges } from '../src/dataplane/changes.js';
import { type Repositories } from '../src/store/repository.js';
import { MIGRATIONS } from '../src/store/sqlite/schema.js';
import { SqliteStore } from '../src/store/sqlite/store.js';

let dir: string;
let store: SqliteStore;
let heard: number[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portsec-signal-'));
  store = new SqliteStore(join(dir, 'store.db'));
  heard = [];
  store.onCommit((seq) => heard.push(seq));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const group = (id: string) => ({ id, project_id: 'p', name: id, stateful: true, description: null });
const rule = (id: string, groupId: string, port: number) => ({
  id, project_id: 'p', security_group_id: groupId, remote_group_id: null, direction: 'ingress' as const, ethertype: 'IPv4' as const,
  protocol: 'tcp', port_range_min: port, port_range_max: port, remote_ip_prefix: null, description: null,
});

test('a transaction that logged changes is signalled once, after its commit, with the last seq', async () => {
  let inside: number[] = [];
  await store.transaction(async (tx) => {
    await tx.securityGroups.create(group('g1'), false);
    await tx.rules.create(rule('r1', 'g1', 22));
    inside = [...heard];
  });
  expect(inside).toEqual([]);
  expect(heard).toEqual([await store.changes.last()]);
  expect(heard[0]).toBe(2);
});

test('a lone write is signalled once it is done', async () => {
  await store.securityGroups.create(group('g1'), false);
  expect(heard).toEqual([1]);
  await store.rules.remove('none');
  expect(heard).toEqual([1, 2]);
});

test('a rolled-back transaction, reads, snapshots and writes outside the log are not signalled', async () => {
  await expect(store.transaction(async (tx) => {
    await tx.securityGroups.create(group('g1'), false);
    throw new Error('no');
  })).rejects.toThrow('no');
  expect(await store.changes.last()).toBe(0);
  await store.snapshot(async (tx) => tx.securityGroups.list());
  await store.ports.list();
  await store.agents.tunnelAddress('cn1');
  await store.transaction(async (tx) => tx.tokens.add({ hash: 'h', principal: {}, issuedAt: 'a', expiresAt: 'b', methods: [], auditId: 'x' }));
  expect(heard).toEqual([]);
  // the next commit is heard with its own seq, nothing of the rolled-back one
  await store.securityGroups.create(group('g2'), false);
  expect(heard).toEqual([1]);
});

test('wakes while a run is under way collapse into one follow-up run, never two at once', async () => {
  let runs = 0;
  let active = 0;
  let most = 0;
  let release!: () => void;
  let second!: () => void;
  const followedUp = new Promise<void>((ok) => (second = ok));
  const runner = coalesce(async () => {
    runs++;
    most = Math.max(most, ++active);
    if (runs === 1) await new Promise<void>((ok) => (release = ok));
    if (runs === 2) second();
    active--;
  }, (e) => { throw e; });
  runner.wake();
  runner.wake();
  runner.wake();
  runner.wake();
  expect(runs).toBe(1);
  release();
  await followedUp;
  await new Promise((ok) => setTimeout(ok, 20));
  expect(runs).toBe(2);
  // idle again: the next wake runs at once
  runner.wake();
  expect(runs).toBe(3);
  await runner.stop();
  expect(runs).toBe(3);
  expect(most).toBe(1);
});

/** The store's repositories, recording the queries groups and rules are read with. */
function spied(tx: Repositories, queries: unknown[]): Repositories {
  return {
    ...tx,
    securityGroups: { ...tx.securityGroups, list: (q) => (queries.push(['groups', q?.where]), tx.securityGroups.list(q)) },
    rules: { ...tx.rules, list: (q) => (queries.push(['rules', q?.where]), tx.rules.list(q)) },
  };
}

test('for one rule change the agent reads that rule\'s group and its rules only, also once the rule is deleted', async () => {
  for (const g of ['g1', 'g2', 'g3']) await store.securityGroups.create(group(g), false);
  await store.rules.create(rule('r1', 'g1', 22));
  await store.rules.create(rule('r2', 'g2', 80));
  const read = async (since: number) => {
    const queries: unknown[] = [];
    const out = await store.snapshot((tx) => readChanges(spied(tx, queries), since));
    return { queries, ids: out?.groups.map((g) => [g.id, (g.security_group_rules as { id: string }[]).map((r) => r.id)]), last: out?.last };
  };

  let seq = await store.changes.last();
  await store.rules.create(rule('r3', 'g2', 443));
  expect(await read(seq)).toEqual({ queries: [['rules', { security_group_id: ['g2'] }], ['groups', { id: ['g2'] }]], ids: [['g2', ['r2', 'r3']]], last: seq + 1 });

  seq = await store.changes.last();
  await store.rules.remove('r1');
  expect(await read(seq)).toEqual({ queries: [['rules', { security_group_id: ['g1'] }], ['groups', { id: ['g1'] }]], ids: [['g1', []]], last: seq + 1 });

  // a deleted group is read for (and found gone) with no other group
  seq = await store.changes.last();
  await store.securityGroups.remove('g3');
  expect(await read(seq)).toEqual({ queries: [['rules', { security_group_id: ['g3'] }], ['groups', { id: ['g3'] }]], ids: [], last: seq + 1 });

  // a rule naming a remote group brings that group along, and its remotes in turn (a cycle ends)
  await store.rules.create({ ...rule('r4', 'g1', 5432), remote_group_id: 'g2' });
  seq = await store.changes.last();
  await store.rules.create({ ...rule('r5', 'g2', 8080), remote_group_id: 'g1' });
  expect((await read(seq)).ids).toEqual([['g1', ['r4']], ['g2', ['r2', 'r3', 'r5']]]);

  // nothing new reads nothing
  seq = await store.changes.last();
  expect(await read(seq)).toEqual({ queries: [], ids: undefined, last: undefined });
});

test('a change log from before rule changes named their group gets the group of every rule still there', async () => {
  const file = join(dir, 'old.db');
  const old = new Database(file);
  // the database as it was before the migration that names a rule change's group
  const before = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('ADD COLUMN parent_id'));
  for (const m of MIGRATIONS.slice(0, before)) if (typeof m === 'string') old.exec(m); else m(old);
  old.pragma(`user_version = ${before}`);
  const std = () => old.prepare("INSERT INTO standard_attrs (resource_type, revision_number, created_at, updated_at) VALUES ('x', 0, 'a', 'a')").run().lastInsertRowid;
  old.prepare("INSERT INTO security_groups (id, project_id, name, stateful, std_id) VALUES ('g1', 'p', 'g1', 1, ?)").run(std());
  old.prepare("INSERT INTO security_group_rules (id, project_id, security_group_id, direction, ethertype, std_id) VALUES ('r1', 'p', 'g1', 'ingress', 'IPv4', ?)").run(std());
  old.exec(`INSERT INTO changes (resource, resource_id, action) VALUES ('security_group', 'g1', 'create'), ('security_group_rule', 'r1', 'create'),
    ('security_group_rule', 'gone', 'delete')`);
  old.close();
  const migrated = new SqliteStore(file);
  try {
    expect((await migrated.changes.since(0)).map((c) => c.parent_id)).toEqual([null, 'g1', null]);
  } finally {
    await migrated.close();
  }
});
