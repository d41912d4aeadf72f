/**
 * The audit's outputs for a real cloud: derived findings folded under their root cause,
 * --min-severity, a baseline written and read back, suppressions with their reasons (left
 * out of tables, suppressed results in SARIF), and SARIF within code scanning's limits,
 * checked against the SARIF 2.1.0 structure.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { type Finding } from '../src/analysis/answers.js';
import { audit } from '../src/analysis/audit/index.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { writeSarif } from '../src/analysis/report/sarif.js';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { triage } from '../src/analysis/triage/triage.js';
import { validSarif } from './support/sarif-schema.js';
import { portsec } from './support/server.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'portsec-outputs-'));
const groups = ['ssh', 'proxy', 'db', 'admin', 'bastion'];

/**
 * The seed with more rules naming ssh: proxy tcp/80, db tcp/5432 and admin tcp/22 from
 * remote group ssh, so the NAT server's /0 pair opens two admin ports to the world through
 * them; bastion opens ssh to 0.0.0.0/0 itself (a cause of its own), which shadows its rule for 10/8.
 */
const seed = (natPairs = ['0.0.0.0/0']): Snapshot => snapshot([
  port('nat', ['10.10.10.10'], ['ssh'], natPairs),
  port('int', ['10.10.10.20'], ['ssh']),
  port('proxy', ['10.10.10.30'], ['proxy']),
  port('db', ['10.10.10.40'], ['db']),
  port('admin', ['10.10.10.50'], ['admin']),
  port('bastion', ['10.10.10.60'], ['bastion']),
], groups, [
  ...groups.map((g) => rule(`out-${g}`, g, { direction: 'egress', protocol: null })),
  rule('to-ssh', 'ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
  rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
  rule('pg', 'db', { port_range_min: 5432, port_range_max: 5432, remote_group_id: 'ssh' }),
  rule('adm', 'admin', { port_range_min: 22, port_range_max: 22, remote_group_id: 'ssh' }),
  rule('jump', 'bastion', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }),
  // shadowed by jump: a low finding
  rule('jump-lan', 'bastion', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8' }),
]);

let files = 0;
/** the snapshot as a dump file for --files */
function dump(s: Snapshot): string {
  const path = join(dir, `cloud-${++files}.json`);
  writeFileSync(path, JSON.stringify({ networks: s.networks, subnets: s.subnets, ports: s.ports, security_groups: s.security_groups, security_group_rules: s.security_group_rules }));
  return path;
}

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const json = async (...args: string[]) => {
  const r = await portsec('audit', '-f', 'raw', ...args);
  expect(r.code, r.stderr).toBe(0);
  return { findings: JSON.parse(r.stdout) as Finding[], stderr: r.stderr };
};

const findingsText = (n: number) => `${n} finding${n === 1 ? '' : 's'}`;

const sarifOf = async (...args: string[]) => {
  const r = await portsec('audit', '-f', 'sarif', ...args);
  expect(r.stderr).toBe('');
  return validSarif(r.stdout);
};

describe('derived findings fold under their root cause', () => {
  const findings = audit(buildCloud(seed()));
  const of = (check: string) => findings.filter((f) => f.check === check);

  test('one NAT server in two named groups is one root cause; two NAT servers are two', () => {
    const twoGroups = snapshot([
      port('nat', ['10.10.10.10'], ['ssh', 'db'], ['0.0.0.0/1', '128.0.0.0/1']),
      port('nat2', ['10.10.10.11'], ['ssh'], ['0.0.0.0/0']),
      port('proxy', ['10.10.10.30'], ['proxy']),
    ], ['ssh', 'db', 'proxy'], [
      rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
      rule('pg', 'proxy', { port_range_min: 5432, port_range_max: 5432, remote_group_id: 'db' }),
    ]);
    const every = audit(buildCloud(twoGroups));
    const all = every.filter((f) => f.check === 'wide-pair-in-remote-group');
    const roots = all.filter((f) => !f.rootCause);
    expect(roots.map((r) => r.objects[1].id).sort()).toEqual(['nat', 'nat2']);
    const natRoot = roots.find((r) => r.objects[1].id === 'nat')!;
    // nat's /1 halves in ssh and in db: four findings, one cause
    expect(all.filter((f) => f.objects[1].id === 'nat')).toHaveLength(4);
    expect(every.find((f) => f.check === 'admin-port-open-to-world')?.rootCause).toBe(natRoot.id);
    expect(all.filter((f) => f.rootCause === natRoot.id).map((f) => f.objects[0].id).sort()).toEqual(['db', 'db', 'ssh']);
    // and proxy's tcp/5432, open to the world only through db's widened rule
    expect(natRoot.derived).toHaveLength(4);
  });

  test('the NAT server\'s pair is one root; the admin ports it opens through rules naming ssh point at it', () => {
    const [root] = of('wide-pair-in-remote-group');
    const throughSsh = of('admin-port-open-to-world').filter((f) => f.objects[0].id !== 'bastion');
    expect(throughSsh.map((f) => f.objects[1].id).sort()).toEqual(['adm', 'pg']);
    expect(throughSsh.map((f) => f.rootCause)).toEqual([root.id, root.id]);
    expect(root.rootCause).toBeUndefined();
    expect(root.derived!.sort()).toEqual(throughSsh.map((f) => f.id).sort());
    // bastion's own 0.0.0.0/0 rule is a cause of its own
    const [bastion] = of('admin-port-open-to-world').filter((f) => f.objects[0].id === 'bastion');
    expect(bastion.rootCause).toBeUndefined();
    expect(bastion.derived).toBeUndefined();
  });

  test('the /1 halves of one port in one group are one root cause', () => {
    const halves = audit(buildCloud(seed(['0.0.0.0/1', '128.0.0.0/1']))).filter((f) => f.check === 'wide-pair-in-remote-group');
    expect(halves).toHaveLength(2);
    expect(halves[1].rootCause).toBe(halves[0].id);
    expect(halves[0].derived).toContain(halves[1].id);
  });

  test('without the pair nothing is derived', () => {
    expect(audit(buildCloud(seed([]))).filter((f) => f.rootCause || f.derived)).toEqual([]);
  });

  test('tables list the root with its count; --show-derived lists all; JSON lists every finding with rootCause', async () => {
    const cloud = dump(seed());
    const table = await portsec('audit', '--files', cloud);
    expect(table.stdout).toContain('2 derived findings folded under 1 root cause (--show-derived lists them)');
    const rowsOf = async (...args: string[]) => JSON.parse((await portsec('audit', '--files', cloud, '-f', 'json', ...args)).stdout) as Record<string, unknown>[];
    const rows = await rowsOf();
    const all = await rowsOf('--show-derived');
    expect(all.length - rows.length).toBe(2);
    expect(rows.find((r) => r.Check === 'wide-pair-in-remote-group')?.Derived).toBe('2');
    const { findings: listed, stderr } = await json('--files', cloud);
    expect(listed.map((f) => f.id).sort()).toEqual(findings.map((f) => f.id).sort());
    expect(stderr).toBe('');
    const md = (await portsec('audit', '--files', cloud, '-f', 'markdown')).stdout;
    expect(md).toContain(`2 derived finding(s) follow from this root cause`);
    expect(md).not.toContain('via remote group ssh');
  });
});

describe('--min-severity, --baseline, --fail-on', () => {
  test('--min-severity reports the severe findings only, and --fail-on judges what is reported', async () => {
    // without the pair: bastion's ssh to the world (high) and low/info findings
    const cloud = dump(seed([]));
    const { findings: every } = await json('--files', cloud);
    expect(every.map((f) => f.severity)).toContain('high');
    expect(every.some((f) => f.severity !== 'high')).toBe(true);
    const { findings: high, stderr } = await json('--files', cloud, '--min-severity', 'high');
    expect(high.map((f) => f.id)).toEqual(every.filter((f) => f.severity === 'high').map((f) => f.id));
    expect(stderr).toBe(`${findingsText(every.length - high.length)} below --min-severity high\n`);
    expect((await portsec('audit', '--files', cloud, '--fail-on', 'high')).code).toBe(1);
    expect((await portsec('audit', '--files', cloud, '--fail-on', 'high', '--min-severity', 'critical')).code).toBe(0);
  });

  test('a baseline written, read back: nothing reported, nothing failed; a new finding stands out', async () => {
    const baseline = join(dir, 'baseline.txt');
    const before = dump(seed([]));
    expect((await portsec('audit', '--files', before, '--write-baseline', baseline)).code).toBe(0);
    const { findings: every } = await json('--files', before);
    expect(readFileSync(baseline, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).sort()).toEqual(every.map((f) => f.id).sort());
    const { findings: none, stderr } = await json('--files', before, '--baseline', baseline);
    expect(none).toEqual([]);
    expect(stderr).toBe(`${findingsText(every.length)} in the baseline\n`);
    expect((await portsec('audit', '--files', before, '--baseline', baseline, '--fail-on', 'info')).code).toBe(0);
    // the NAT server's pair appears: only what it causes is new
    const after = dump(seed());
    const { findings: fresh } = await json('--files', after, '--baseline', baseline);
    expect(fresh.map((f) => f.check).sort()).toEqual(['admin-port-open-to-world', 'admin-port-open-to-world', 'wide-pair-in-remote-group']);
    expect((await portsec('audit', '--files', after, '--baseline', baseline, '--fail-on', 'critical')).code).toBe(1);
    expect((await portsec('audit', '--files', after, '--baseline', join(dir, 'missing.txt'))).code).toBe(2);
  });
});

describe('suppressions', () => {
  const cloud = dump(seed());
  const findings = audit(buildCloud(seed()));
  const root = findings.find((f) => f.check === 'wide-pair-in-remote-group')!;
  const bastion = findings.find((f) => f.check === 'admin-port-open-to-world' && f.objects[0].id === 'bastion')!;

  test('by id or by check and object, with a reason: left out of the table, in SARIF as suppressed results with their justification', async () => {
    const path = file('suppressions.yaml', [
      'suppressions:',
      `  - id: ${root.id}`,
      '    reason: the NAT server is being replaced (OPS-1)',
      '  - check: admin-port-open-to-world',
      '    object: bastion',
      '    reason: the jump host takes ssh from anywhere',
      '    expires: 2999-12-31',
    ].join('\n'));
    const table = await portsec('audit', '--files', cloud, '--suppressions', path);
    expect(table.code).toBe(0);
    // the root's suppression covers what follows from it
    expect(table.stdout).toContain('4 findings suppressed');
    expect(table.stdout).not.toContain('wide-pair-in-remote-group');
    expect(table.stdout).not.toContain('admin-port-open-to-world');
    const { findings: reported } = await json('--files', cloud, '--suppressions', path);
    expect(reported.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
    expect((await portsec('audit', '--files', cloud, '--suppressions', path, '--fail-on', 'high')).code).toBe(0);
    const log = await sarifOf('--files', cloud, '--suppressions', path);
    const results = log.runs[0].results!;
    const suppressed = results.filter((r) => r.suppressions);
    expect(suppressed.map((r) => r.properties!.id).sort()).toEqual([root.id, bastion.id, ...root.derived!].sort());
    expect(results.find((r) => r.properties!.id === bastion.id)!.suppressions).toEqual([{ kind: 'external', justification: 'the jump host takes ssh from anywhere' }]);
    expect(results.find((r) => r.properties!.id === root.derived![0])!.suppressions).toEqual([{ kind: 'external', justification: 'the NAT server is being replaced (OPS-1)' }]);
    // suppressed results come after the reported ones
    expect(results.slice(0, results.length - suppressed.length).every((r) => !r.suppressions)).toBe(true);
  });

  test('JSON works as well as YAML; an expired suppression reports the finding again and says so', async () => {
    const path = file('expired.json', JSON.stringify([{ id: bastion.id, reason: 'temporary', expires: '2020-01-01' }]));
    const { findings: reported, stderr } = await json('--files', cloud, '--suppressions', path, '--show-derived');
    expect(reported.map((f) => f.id)).toContain(bastion.id);
    expect(stderr).toBe(`suppression of ${bastion.id} expired on 2020-01-01: reported again\n`);
  });

  test('a suppression without a reason, or naming nothing, is an input error: one line, exit 2', async () => {
    for (const [name, text, says] of [
      ['no-reason.yaml', `- id: ${root.id}\n`, 'has no reason'],
      ['blank-reason.yaml', `- id: ${root.id}\n  reason: "  "\n`, 'has no reason'],
      ['no-object.yaml', '- check: admin-port-open-to-world\n  reason: x\n', 'names no finding'],
      ['typo.yaml', `- id: ${root.id}\n  reason: x\n  expire: 2030-01-01\n`, 'unknown keys expire'],
    ]) {
      const r = await portsec('audit', '--files', cloud, '--suppressions', file(name, text));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('SARIF within code scanning\'s limits', () => {
  /** groups g0…g(n-1), each with its own port and an ssh rule from anywhere (high), and a shadowed rule (low) */
  const many = (n: number, portsPerGroup = 1): Snapshot => {
    const names = Array.from({ length: n }, (_, i) => `g${i}`);
    return snapshot(
      names.flatMap((g, i) => Array.from({ length: portsPerGroup }, (_, k) => port(`${g}-p${k}`, [`10.10.${10 + k}.${i + 1}`], [g]))),
      names,
      names.flatMap((g) => [
        rule(`${g}-ssh`, g, { port_range_min: 22, port_range_max: 22 }),
        rule(`${g}-ssh-lan`, g, { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8' }),
      ]),
    );
  };

  test('--sarif-max-results caps the run, most severe first, and a notification counts what was left out', async () => {
    const cloud = dump(many(12));
    const { findings: every } = await json('--files', cloud);
    const severities = every.map((f) => f.severity);
    expect(severities.filter((s) => s === 'high')).toHaveLength(12);
    expect(every.length).toBeGreaterThan(20);
    const log = await sarifOf('--files', cloud, '--sarif-max-results', '5');
    const [run] = log.runs;
    expect(run.results!.map((r) => r.level)).toEqual(Array(5).fill('error'));
    const [note] = run.invocations![0].toolExecutionNotifications!;
    expect(note.level).toBe('warning');
    expect(note.message.text).toMatch(new RegExp(`^${every.length - 5} of ${every.length} results left out .*: 7 high, ${every.length - 12} low;`));
    const full = await sarifOf('--files', cloud);
    expect(full.runs[0].results).toHaveLength(every.length);
    expect(full.runs[0].invocations![0].toolExecutionNotifications).toEqual([]);
    const tooMany = await portsec('audit', '--files', cloud, '-f', 'sarif', '--sarif-max-results', '25001');
    expect([tooMany.code, tooMany.stdout]).toEqual([expect.any(Number), '']);
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toContain('--sarif-max-results must be an integer from 1 to 25000');
  });

  test('a result keeps the locations code scanning shows; a log stops short of its byte limit', async () => {
    const findings = audit(buildCloud(many(30, 4)));
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c));
    const t = triage(findings);
    const written = await writeSarif(out, { findings: t.shown, source: 'test', version: '0', run: { audit: [] } }, { results: 1000, locations: 3, bytes: 24_000 });
    const text = Buffer.concat(chunks).toString();
    expect(Buffer.byteLength(text)).toBe(written.bytes);
    expect(written.bytes).toBeLessThanOrEqual(24_000);
    expect(written.leftOut).toBeGreaterThan(0);
    expect(written.results + written.leftOut).toBe(t.shown.length);
    const log = validSarif(text);
    const results = log.runs[0].results!;
    expect(results).toHaveLength(written.results);
    // each admin-port finding names its group, its rule and 4 ports: 1 location and 2 related kept, 3 counted
    const admin = results.find((r) => r.ruleId === 'admin-port-open-to-world')!;
    expect([admin.locations!.length, admin.relatedLocations!.length, admin.properties!.objectsLeftOut]).toEqual([1, 2, 3]);
    expect(log.runs[0].invocations![0].toolExecutionNotifications![0].message.text).toMatch(`${written.leftOut} of ${t.shown.length} results left out`);
    // the check itself refuses what the schema refuses
    const [run] = JSON.parse(text).runs;
    const broken = (change: (r: { results: Record<string, unknown>[] }) => void) => {
      const copy = structuredClone(run);
      change(copy);
      return () => validSarif(JSON.stringify({ version: '2.1.0', runs: [copy] }));
    };
    expect(broken(() => undefined)).not.toThrow();
    expect(broken((r) => { r.results[0].suppressions = [{ kind: 'ignored' }]; })).toThrow(/suppressions/);
    expect(broken((r) => { r.results[0].fix = []; })).toThrow(/fix/);
    expect(broken((r) => { r.results[0].ruleIndex = 99; })).toThrow(/ruleIndex/);
    expect(broken((r) => { delete r.results[0].message; })).toThrow(/message/);
  });
});
