/**
 * openstackclient manners: the analyzer's row formats are printed byte for byte
 * as cliff (the openstack CLI's framework) prints the same rows (each case runs
 * cliff itself on portsec's `-f json` rows, and the real `openstack` CLI decides the
 * formatter's output on its own listing), check ids --check takes as printed,
 * whole ids, --files beside positional arguments and from stdin, one-line
 * usage errors with exit 2, and quiet ends on a closed pipe or a full disk.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Finding } from '../src/analysis/answers.js';
import { CHECK_ALIASES, CHECK_NAMES } from '../src/analysis/audit/index.js';
import { formatRows, type RowFormat } from '../src/analysis/report/table.js';
import { CLI, portsec, ROOT, type RunningServer, startServer, SYSTEM_PYTHON } from './support/server.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';

const CLIFF = join(ROOT, 'test/support/cliff-rows.py');

// the seed's pitfall (nat's 0.0.0.0/0 pair in group ssh, which proxy's rule names), an admin port open to the world,
// a port without a name (so its id is its label) and an unused group
const cloud = snapshot([
  port('nat', ['10.10.10.10'], ['ssh'], ['0.0.0.0/0']),
  port('int', ['10.10.10.20'], ['ssh']),
  port('proxy', ['10.10.10.30'], ['proxy']),
  port('7d4e1f0a-90b2-4c3d-8e5f-60718293a4b5', ['10.10.10.40'], ['admin'], [], { name: '', device_id: '' }),
], ['ssh', 'proxy', 'admin', 'spare'], [
  rule('r-ssh', 'ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
  rule('r-proxy-80', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
  rule('3f1c9a2e-5b7d-4e8f-a1b2-c3d4e5f60718', 'admin', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }),
  rule('r-egress', 'ssh', { direction: 'egress', protocol: null }),
]);

let dir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portsec-manners-'));
  file = join(dir, 'cloud.json');
  writeFileSync(file, JSON.stringify(cloud));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** cliff printing `rows` (a JSON list of objects) with these formatter options: stdout, stderr and status. */
function cliff(rows: string, args: string[]) {
  const input = join(dir, `rows-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(input, rows);
  const r = spawnSync(SYSTEM_PYTHON, [CLIFF, 'rows', input, ...args], { encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/** The boxed table within a command's text (a table's headline or backend lines stay outside it). */
const box = (text: string) => {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.startsWith('+'));
  const after = lines.slice(first).findIndex((l, i) => i > 0 && !/^[+|]/.test(l));
  return `${lines.slice(first, after < 0 ? undefined : first + after).join('\n')}\n`;
};

const COMMANDS: Record<string, string[]> = {
  audit: ['audit'],
  exposure: ['exposure'],
  'can-reach': ['can-reach', 'nat', 'proxy', '--protocol', 'tcp', '--port', '80', '--source-ip', '200.200.200.200'],
  diff: ['diff', '--backend', 'iptables_hybrid', '--to-backend', 'ovn'],
};

const CASES: string[][] = [
  ['-f', 'csv'], ['-f', 'csv', '--quote', 'minimal'], ['-f', 'csv', '--quote', 'all'], ['-f', 'csv', '--quote', 'none'],
  ['-f', 'value'], ['-f', 'json'], ['-f', 'json', '--noindent'],
  [], ['--max-width', '60'], ['--max-width', '100'], ['--max-width', '0'], ['--print-empty'],
];

describe.each(Object.entries(COMMANDS))('%s prints its rows as the openstack CLI does', (_, command) => {
  const run = (...args: string[]) => portsec(...command, '--files', file, ...args);
  let rows: string;
  let columns: string[];
  beforeAll(async () => {
    rows = (await run('-f', 'json')).stdout;
    columns = Object.keys((JSON.parse(rows) as Record<string, unknown>[])[0]);
  });

  test('the rows are there, and JSON keys them as the table heads them', async () => {
    expect((JSON.parse(rows) as unknown[]).length).toBeGreaterThan(0);
    const head = box((await run()).stdout).split('\n')[1];
    expect(head.split('|').slice(1, -1).map((c) => c.trim())).toEqual(columns);
    expect(parseYaml((await run('-f', 'yaml')).stdout)).toEqual(JSON.parse(rows));
  });

  test.each(CASES.map((args) => ({ args, shown: args.join(' ') || 'the table' })))('byte for byte as cliff: $shown', async ({ args }) => {
    const ours = (await run(...args)).stdout;
    const theirs = cliff(rows, args);
    expect(theirs.code).toBe(0);
    expect(args.includes('-f') ? ours : box(ours)).toBe(theirs.stdout);
  });

  test('-c and --sort-column as cliff: the table\'s order, unknown names ignored unless none is known', async () => {
    const [a, b] = [columns[columns.length - 1], columns[0]];
    for (const args of [['-c', a, '-c', b, '-c', 'Nothing'], ['--sort-column', a, '--sort-descending', '-c', b], ['--sort-column', b, '--sort-column', a]]) {
      for (const format of ['csv', 'table']) {
        const ours = (await run('-f', format, ...args)).stdout;
        expect(format === 'table' ? box(ours) : ours).toBe(cliff(rows, ['-f', format, ...args]).stdout);
      }
    }
    const ours = await run('-c', 'Nothing', '-c', 'Else');
    const theirs = cliff(rows, ['-c', 'Nothing', '-c', 'Else']);
    expect(theirs.code).not.toBe(0);
    // cliff's own words, as one usage error
    expect([ours.code, ours.stdout, ours.stderr]).toEqual([2, '', `portsec: ${theirs.stderr.trim()}\n`]);
  });
});

describe('audit: check ids and finding ids as printed', () => {
  test('--check takes every check id the Check column prints, and only those findings come back; --help lists them', async () => {
    const printed = (await portsec('audit', '--files', file, '-f', 'value', '-c', 'Check')).stdout.trim().split('\n');
    expect(new Set(printed)).toEqual(new Set(['wide-pair-in-remote-group', 'admin-port-open-to-world', 'unused-group']));
    for (const id of new Set(printed)) {
      const only = (await portsec('audit', '--files', file, '--check', id, '-f', 'value', '-c', 'Check')).stdout.trim().split('\n');
      expect(only).toEqual(printed.filter((c) => c === id));
    }
    // a group's old name stands for its ids
    expect((await portsec('audit', '--files', file, '--check', 'wide-pair', '-f', 'value', '-c', 'Check')).stdout).toBe('wide-pair-in-remote-group\n');
    const help = (await portsec('audit', '--help')).stdout.replace(/\s+/g, ' ');
    for (const id of [...CHECK_NAMES, ...CHECK_ALIASES]) expect(help).toContain(id);
    const bad = await portsec('audit', '--files', file, '--check', 'wide-pairs');
    expect([bad.code, bad.stdout, bad.stderr.split('\n').length]).toEqual([2, '', 2]);
    expect(bad.stderr).toMatch(/^portsec: option '--check <id\.\.\.>' argument 'wide-pairs' is invalid\. Allowed choices are wide-pair-in-remote-group, /);
  });

  test('the ID column is the finding\'s id; -f raw keeps the findings whole', async () => {
    const findings = JSON.parse((await portsec('audit', '--files', file, '-f', 'raw')).stdout) as Finding[];
    const rows = JSON.parse((await portsec('audit', '--files', file, '-f', 'json')).stdout) as Record<string, string>[];
    expect(rows.map((r) => [r.ID, r.Check, r.Severity])).toEqual(findings.map((f) => [f.id, f.check, f.severity]));
    expect(findings.every((f) => f.id.startsWith(`${f.check}-`))).toBe(true);
  });

  test('ids are whole in every text: a rule\'s, and a port without a name', async () => {
    const table = (await portsec('audit', '--files', file, '--check', 'admin-port-open-to-world')).stdout;
    expect(table).toContain('3f1c9a2e-5b7d-4e8f-a1b2-c3d4e5f60718');
    expect(table).toContain('7d4e1f0a-90b2-4c3d-8e5f-60718293a4b5');
    const reach = (await portsec('can-reach', '10.10.10.20', '7d4e1f0a-90b2-4c3d-8e5f-60718293a4b5', '--protocol', 'tcp', '--port', '22', '--files', file, '-f', 'value', '-c', 'Explanation')).stdout;
    expect(reach).toContain('7d4e1f0a-90b2-4c3d-8e5f-60718293a4b5 ingress allows it');
    expect(reach).toContain('rule 3f1c9a2e-5b7d-4e8f-a1b2-c3d4e5f60718 of group admin');
  });
});

describe('--files', () => {
  const reach = ['nat', 'proxy', '--protocol', 'tcp', '--port', '80', '-f', 'value', '-c', 'Result'];
  test('takes one path each time (or a comma list), never the SRC and DST after it; - reads standard input', async () => {
    const { ports, ...rest } = cloud;
    const [a, b] = [join(dir, 'ports.json'), join(dir, 'rest.json')];
    writeFileSync(a, JSON.stringify({ ports }));
    writeFileSync(b, JSON.stringify(rest));
    const whole = await portsec('can-reach', '--files', file, ...reach);
    expect(whole.stdout).toMatch(/^(ok\n)+$/);
    expect(await portsec('can-reach', '--files', a, '--files', b, ...reach)).toEqual(whole);
    expect(await portsec('can-reach', '--files', `${a},${b}`, ...reach)).toEqual(whole);
    const piped = spawnSync(process.execPath, [CLI, 'can-reach', '--files', '-', ...reach], { input: readFileSync(file), encoding: 'utf8' });
    expect([piped.status, piped.stdout, piped.stderr]).toEqual([0, whole.stdout, '']);
  });
});

describe('exit status and errors', () => {
  test('a usage error is one line on stderr and exit 2; --fail-on is exit 1', async () => {
    for (const args of [
      ['audit', '--files', file, '--bogus'],
      ['audit', '--files', file, '-f', 'xml'],
      ['audit', '--files', file, '--max-width', 'x'],
      ['audit', '--files', file, '--quote', 'sometimes'],
      ['can-reach', '--files', file, 'nat', '--protocol', 'tcp'],
      ['can-reach', '--files', file, 'nat', 'proxy', '--protocol', 'tcp', '--port', '70000'],
      ['can-reach', '--files', file, 'nat', 'proxy'],
      ['exposure', '--files', file, '--sort-ascending', '--sort-descending'],
      ['nonsense'],
    ]) {
      const r = await portsec(...args);
      expect([args, r.code, r.stdout]).toEqual([args, 2, '']);
      expect(r.stderr).toMatch(/^portsec: [^\n]+\n$/);
    }
    expect((await portsec('audit', '--files', join(dir, 'nothing.json'))).code).toBe(2);
    expect((await portsec('audit', '--files', file, '--fail-on', 'critical', '-f', 'value')).code).toBe(1);
    expect((await portsec('audit', '--files', file, '--check', 'unused-group', '--fail-on', 'high')).code).toBe(0);
  });

  test('--version prints "portsec VERSION" as openstack prints "openstack VERSION", at the top and after a command', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const openstack = spawnSync('openstack', ['--version'], { encoding: 'utf8' });
    expect(openstack.stdout).toMatch(/^openstack \d+\.\d+\.\d+\n$/);
    for (const args of [['--version'], ['audit', '--version']]) expect(await portsec(...args)).toEqual({ code: 0, stdout: `portsec ${version}\n`, stderr: '' });
  });

  test('a reader that closes the pipe ends the run quietly (141, as SIGPIPE ends openstack)', async () => {
    const child = spawn(process.execPath, [CLI, 'audit', '--files', file, '-f', 'raw'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise((ok) => child.once('close', ok));
    expect([code, stderr]).toEqual([141, '']);
  });

  test('a full disk is one line and exit 2, on standard output or -o', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI, 'audit', '--files', file], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([2, 'portsec: cannot write standard output: no space left on device\n']);
    } finally {
      closeSync(full);
    }
    const o = spawnSync(process.execPath, [CLI, 'audit', '--files', file, '-o', '/dev/full'], { encoding: 'utf8' });
    expect([o.status, o.stderr]).toEqual([2, 'portsec: cannot write /dev/full: no space left on device\n']);
  });
});

describe.sequential('the formatter beside the real openstack CLI', () => {
  let server: RunningServer;
  let env: NodeJS.ProcessEnv;
  const os = async (...args: string[]) => (await promisify(execFile)('openstack', args, { env })).stdout;
  beforeAll(async () => {
    server = await startServer(['--auth', 'keystone', '--admin-password', 'admin-pw']);
    env = {
      ...process.env, OS_AUTH_URL: `${server.url}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: 'admin-pw', OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne',
    };
    // a multi-line cell with quotes, a comma and a backslash: what decides csv's quoting and the table's wrapping
    await os('security', 'group', 'create', 'ssh', '--description', 'line one\nline "two", with a comma\\ and a long tail that the table wraps');
    await os('security', 'group', 'create', 'proxy');
  }, 300_000);
  afterAll(async () => { await server?.stop(); });

  test('openstack security group list, in each format, is what table.ts makes of the same rows', async () => {
    const columns = ['-c', 'ID', '-c', 'Name', '-c', 'Description'];
    const items = JSON.parse(await os('security', 'group', 'list', '-f', 'json', ...columns)) as Record<string, string>[];
    expect(items.some((i) => i.Description.includes('\n'))).toBe(true);
    const rows = { columns: ['ID', 'Name', 'Description'], rows: items.map((i) => [i.ID, i.Name, i.Description]) };
    const cases: [RowFormat, string[], Parameters<typeof formatRows>[2]][] = [
      ['csv', [], {}], ['csv', ['--quote', 'minimal'], { quote: 'minimal' }], ['csv', ['--quote', 'none'], { quote: 'none' }],
      ['value', [], {}], ['json', ['--noindent'], { noindent: true }], ['table', [], {}], ['table', ['--max-width', '60'], { width: 60 }],
    ];
    for (const [format, args, o] of cases) expect([format, ...args, await os('security', 'group', 'list', '-f', format, ...args, ...columns)]).toEqual([format, ...args, `${formatRows(rows, format, o)}\n`]);
  });
});
