/**
 * The analyzer on the seed's topology, end to end: built with the real
 * openstack CLI against `portsec serve` with Keystone, audited and queried with
 * the real `portsec` CLI on the server's database, fixed by running the
 * audit's own fix commands with the openstack CLI, audited again. Then each
 * other check on small topologies made through the API, the output formats,
 * the HTTP routes and the guard.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Finding } from '../src/analysis/answers.js';
import { fixScript } from '../src/analysis/fix/script.js';
import { type Fix } from '../src/analysis/fix/types.js';
import { type explained, type explainedExposure } from '../src/analysis/report/explain.js';
import { readExposureLines } from './support/exposure-lines.js';
import { api, as, portsec, type RunningServer, startServer } from './support/server.js';

const run = promisify(execFile);
/** can-reach's answer as JSON: typed steps, each with its text */
type Explained = ReturnType<typeof explained>;
type ExplainedExposure = ReturnType<typeof explainedExposure>;
const dir = mkdtempSync(join(tmpdir(), 'portsec-analysis-'));


describe.sequential('the seed pitfall, with the real openstack CLI', () => {
  let server: RunningServer;
  let env: NodeJS.ProcessEnv;
  const os = async (...args: string[]) => (await run('openstack', args, { env })).stdout.trim();

  beforeAll(async () => {
    server = await startServer(['--auth', 'keystone', '--admin-password', 'admin-pw']);
    env = {
      ...process.env, OS_AUTH_URL: `${server.url}/v3`, OS_USERNAME: 'admin', OS_PASSWORD: 'admin-pw', OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3', OS_REGION_NAME: 'RegionOne',
    };
    await os('network', 'create', 'priv');
    await os('subnet', 'create', 'priv', '--network', 'priv', '--subnet-range', '10.10.10.0/24');
    await os('security', 'group', 'create', 'ssh');
    await os('security', 'group', 'create', 'proxy');
    await os('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '10.10.10.0/24', 'ssh');
    await os('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'tcp', '--dst-port', '80', '--remote-group', 'ssh', 'proxy');
    await os('port', 'create', 'nat', '--network', 'priv', '--fixed-ip', 'ip-address=10.10.10.10', '--security-group', 'ssh', '--allowed-address', 'ip-address=0.0.0.0/0');
    await os('port', 'create', 'int', '--network', 'priv', '--fixed-ip', 'ip-address=10.10.10.20', '--security-group', 'ssh');
    await os('port', 'create', 'proxy', '--network', 'priv', '--fixed-ip', 'ip-address=10.10.10.30', '--security-group', 'proxy');
  }, 300_000);
  afterAll(async () => { await server?.stop(); });

  const audit = async (...args: string[]) => JSON.parse((await portsec('audit', '--db', server.db, '-f', 'raw', ...args)).stdout) as Finding[];
  const reach = async (src: string, dst: string, port: number) => JSON.parse((await portsec('can-reach', src, dst, '--protocol', 'tcp', '--port', String(port), '--db', server.db, '-f', 'raw')).stdout) as Explained;

  test('the audit reports the pitfall with the NAT server\'s pair as evidence, and proxy tcp/80 open to 0.0.0.0/0', async () => {
    const pitfall = (await audit()).filter((f) => f.check === 'wide-pair-in-remote-group');
    expect(pitfall).toHaveLength(1);
    expect(pitfall[0].severity).toBe('critical');
    expect(pitfall[0].evidence.join('\n')).toMatch(/port nat .* is in group ssh and has allowed-address pair 0\.0\.0\.0\/0/);
    expect(pitfall[0].evidence.join('\n')).toMatch(/ingress IPv4 tcp\/80 from remote group ssh .* now admits sources 0\.0\.0\.0\/0/);
    expect(pitfall[0].objects.filter((o) => o.type === 'port').map((o) => o.name)).toEqual(['nat', 'proxy']);
    expect(Object.keys(pitfall[0].backends!)).toHaveLength(3);
    const compact = readExposureLines((await portsec('exposure', 'proxy', '--db', server.db, '-f', 'raw')).stdout).rows;
    expect(compact.map((r) => [r.protocol, r.ports, r.sources])).toEqual([['tcp', '80', ['0.0.0.0/0']]]);
    const exposure = readExposureLines((await portsec('exposure', 'proxy', '--members', '--db', server.db, '-f', 'raw')).stdout).rows;
    expect(exposure.map((r) => [r.protocol, r.ports, r.sources])).toEqual([['tcp', '80', ['0.0.0.0/0']]]);
    // by default one origin per rule, the remote group's members counted: those --members lists
    const n = exposure[0].origins.length;
    expect(exposure[0].origins.every((o) => o.from.kind === 'member' && o.from.member.group.name === 'ssh')).toBe(true);
    expect(compact[0].origins).toHaveLength(1);
    expect(compact[0].origins[0].from).toMatchObject({ kind: 'group', group: { name: 'ssh' }, members: n, rule: { kind: 'group', group: { name: 'proxy' } } });
    expect(compact[0].origins[0].via).toMatch(new RegExp(`^remote group ssh's ${n} members \\(rule [0-9a-f-]{36} of group proxy\\)$`));
    const wide = exposure[0].origins.find((o) => 'cidr' in o && o.cidr === '0.0.0.0/0')!;
    expect(wide.from).toMatchObject({ kind: 'member', member: { group: { name: 'ssh' }, port: { type: 'port', name: 'nat' }, address: '0.0.0.0/0', via: 'allowed-address-pair' }, rule: { kind: 'group', group: { name: 'proxy' } } });
    expect(wide.via).toMatch(/^group ssh's member nat via allowed-address-pair 0\.0\.0\.0\/0 \(rule [0-9a-f-]{36} of group proxy\)$/);
  });

  test('can-reach from 200.200.200.200 to proxy tcp/80 says ALLOW, through the NAT server\'s pair', async () => {
    const a = await reach('200.200.200.200', 'proxy', 80);
    expect(a.verdict).toBe('ALLOW');
    expect(a.steps.map((s) => s.stage)).toEqual(['entry', 'spoof', 'egress', 'ingress']);
    const [entry, spoof, , ingress] = a.steps;
    const nat = JSON.parse(await os('port', 'show', 'nat', '-f', 'json')) as { id: string; mac_address: string };
    const natRef = { type: 'port', id: nat.id, name: 'nat' };
    expect(entry).toMatchObject({ ok: true, source: '200.200.200.200', through: { kind: 'pair', port: natRef, network: { type: 'network', name: 'priv' } } });
    expect(spoof).toMatchObject({ ok: true, port: natRef, source: '200.200.200.200', entry: { via: 'allowed-address-pair', address: '0.0.0.0/0', mac: nat.mac_address } });
    expect(ingress).toMatchObject({
      ok: true, by: 'rule', port: { type: 'port', name: 'proxy' }, peer: '200.200.200.200',
      rule: { ethertype: 'IPv4', protocol: 'tcp', portMin: 80, portMax: 80, remote: { kind: 'group', group: { name: 'ssh' } }, origin: { kind: 'group', group: { name: 'proxy' } } },
      member: { group: { type: 'security_group', name: 'ssh' }, port: natRef, address: '0.0.0.0/0', via: 'allowed-address-pair' },
    });
    // the text every format makes from those facts
    expect(spoof.text).toBe('anti-spoofing on nat lets source 200.200.200.200 out via allowed-address-pair 0.0.0.0/0');
    expect(ingress.text).toMatch(/^proxy ingress allows it: IPv4 tcp\/80 from remote group ssh \(rule [0-9a-f-]{36} of group proxy\); source 200\.200\.200\.200 matches group ssh's member nat via allowed-address-pair 0\.0\.0\.0\/0$/);
    const args = ['can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db];
    const table = (await portsec(...args)).stdout;
    expect(table.split('\n')[0]).toBe('ALLOW: 200.200.200.200 -> proxy tcp/80');
    // the step number right-aligned, as cliff aligns a number
    expect(table).toMatch(/\| +4 \| ingress \| ok +\| proxy ingress allows it: .* \|\n\| +\| +\| +\| source 200\.200\.200\.200 matches group ssh's member nat via allowed-address-pair 0\.0\.0\.0\/0 +\|/);
    const md = (await portsec(...args, '-f', 'markdown')).stdout;
    expect(md).toMatch(/^# portsec can-reach\n\n\*\*ALLOW: 200\.200\.200\.200 -> proxy tcp\/80\*\*\n/);
    expect(md).toContain('2. ✓ spoof: anti-spoofing on **nat** lets source 200.200.200.200 out via allowed-address-pair 0.0.0.0/0\n');
    expect(md).toContain("   - source 200.200.200.200 matches group **ssh**'s member **nat** via allowed-address-pair 0.0.0.0/0\n");
  });

  test('with safe expansion (--omit-wide-pairs) the pair opens nothing: no finding, proxy admits ssh\'s fixed IPs only', async () => {
    expect(await audit('--check', 'wide-pair', '--omit-wide-pairs', '0')).toEqual([]);
    const { rows: exposure } = readExposureLines((await portsec('exposure', 'proxy', '--db', server.db, '-f', 'raw', '--omit-wide-pairs', '0')).stdout);
    expect(exposure.map((r) => r.sources)).toEqual([['10.10.10.10/32', '10.10.10.20/32']]);
    const safe = JSON.parse((await portsec('can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db, '-f', 'raw', '--omit-wide-pairs', '0')).stdout) as Explained;
    expect(safe.verdict).toBe('DENY');
  });

  test('the proven fix, its script run with the openstack CLI, removes the finding; can-reach then says DENY with its reasons', async () => {
    const [finding] = (await audit('--check', 'wide-pair', '--fixes'));
    const [fix] = finding.fixes!;
    expect(fix.proof).toMatchObject({ opened: [], findingGone: true, newFindings: [] });
    // the table: without --fixes the command that proves them, with it each fix's title, proof and script
    expect((await portsec('audit', '--db', server.db, '--check', 'wide-pair')).stdout).toContain(`portsec fix ${finding.id}`);
    const table = (await portsec('audit', '--db', server.db, '--check', 'wide-pair', '--fixes')).stdout;
    for (const line of [`# 1. ${fix.title}`, `# proof: ${fix.proof.closed.length} flow class(es) closed, ${fix.proof.stayOpen.length} stay open, 0 opened`, ...fixScript(fix.actions)]) expect(table).toContain(line);
    await run('bash', ['-c', fixScript(fix.actions).join('\n')], { env });
    expect(await audit('--check', 'wide-pair')).toEqual([]);
    const a = await reach('200.200.200.200', 'proxy', 80);
    expect(a.verdict).toBe('DENY');
    expect(a.steps.find((s) => !s.ok)).toMatchObject({ stage: 'ingress', by: 'no-rule', port: { name: 'proxy' }, peer: '200.200.200.200', service: { ethertype: 'IPv4', protocol: 'tcp', port: 80 } });
    expect(a.steps.find((s) => !s.ok)!.text).toBe('proxy ingress has no rule for IPv4 tcp/80 from 200.200.200.200');
    expect(a.changes.map((c) => c.command)).toContain('openstack security group rule create --ingress --ethertype IPv4 --protocol tcp --dst-port 80 --remote-ip 200.200.200.200 proxy');
    // ssh members keep working, and so does the NAT server from its own fixed IP (the first fix keeps it: a prefix rule beside proxy's)
    expect(fix.kind).toBe('move-port-to-own-group-keep-own-access');
    expect((await reach('int', 'proxy', 80)).verdict).toBe('ALLOW');
    expect((await reach('10.10.10.20', 'nat', 22)).verdict).toBe('ALLOW');
    expect((await reach('nat', 'proxy', 80)).verdict).toBe('ALLOW');
  });

  test('formats: table, yaml, value, SARIF 2.1.0, Markdown, and --fail-on', async () => {
    await os('port', 'set', 'int', '--allowed-address', 'ip-address=0.0.0.0/0');
    const table = await portsec('audit', '--db', server.db);
    expect(table.stdout).toMatch(/^\+-+\+/);
    expect(table.stdout).toContain('| critical | wide-pair-in-remote-group');
    const yaml = parseYaml((await portsec('audit', '--db', server.db, '-f', 'yaml')).stdout) as Record<string, string>[];
    expect(yaml[0].Severity).toBe('critical');
    // the verdict is the table's headline and the raw answer's field; the row formats carry the steps
    expect((await portsec('can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db)).stdout).toMatch(/^ALLOW: /);
    expect((await portsec('can-reach', '200.200.200.200', 'proxy', '--protocol', 'tcp', '--port', '80', '--db', server.db, '-f', 'value', '-c', 'Result')).stdout).toMatch(/^(ok\n)+$/);
    const out = join(dir, 'audit.sarif');
    expect((await portsec('audit', '--db', server.db, '-f', 'sarif', '-o', out)).code).toBe(0);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results;
    expect(results[0].ruleId).toBe('wide-pair-in-remote-group');
    expect(results[0].level).toBe('error');
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toContain('wide-pair-in-remote-group');
    expect(results.every((r: { ruleIndex: number; ruleId: string }) => sarif.runs[0].tool.driver.rules[r.ruleIndex].id === r.ruleId)).toBe(true);
    const md = (await portsec('audit', '--db', server.db, '-f', 'markdown')).stdout;
    expect(md).toMatch(/^# portsec audit/);
    expect(md).toMatch(/\| critical \| [1-9] \|/);
    expect((await portsec('audit', '--db', server.db, '--fail-on', 'critical')).code).toBe(1);
    expect((await portsec('audit', '--db', server.db, '--check', 'unused-group', '--fail-on', 'low')).code).toBe(0);
  });

  test('bad queries end with one clear line and exit 2, never a stack trace', async () => {
    for (const args of [['can-reach', 'nosuch', 'proxy', '--protocol', 'tcp'], ['can-reach', '10.99.0.1', '10.99.0.2', '--protocol', 'tcp'], ['exposure', 'nosuch'], ['can-reach', 'int', 'proxy', '--protocol', 'nosuchproto']]) {
      const r = await portsec(...args, '--db', server.db);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^portsec: .+\n$/);
    }
  });
});

describe.sequential('the other checks, the HTTP routes and the guard', () => {
  let server: RunningServer;
  const admin = as('admin', 'admin');
  const post = async (path: string, body: unknown) => {
    const r = await api(server.url, 'POST', `/v2.0/${path}`, admin, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return Object.values(r.body as Record<string, { id: string }>)[0];
  };
  const findings = async () => (await api(server.url, 'GET', '/analysis/v1/findings', admin)).body.findings as Finding[];
  let net: string;

  beforeAll(async () => {
    server = await startServer(['--auth', 'trusted-headers']);
    net = (await post('networks', { network: { name: 'n1' } })).id;
    await post('subnets', { subnet: { network_id: net, cidr: '10.1.1.0/24', ip_version: 4 } });
  });
  afterAll(async () => { await server?.stop(); });

  test('VIP: a VRRP peer lacking the VIP, and VIP holders that drop each other\'s VRRP', async () => {
    const vrrp = (await post('security-groups', { security_group: { name: 'vrrp' } })).id;
    await post('security-group-rules', { security_group_rule: { security_group_id: vrrp, direction: 'ingress', protocol: 'vrrp', remote_group_id: vrrp } });
    const port = (name: string, ip: string, groups: string[], pairs: string[]) => post('ports', { port: { name, network_id: net, fixed_ips: [{ ip_address: ip }], security_groups: groups, allowed_address_pairs: pairs.map((ip_address) => ({ ip_address })) } });
    await port('lb1', '10.1.1.11', [vrrp], ['10.1.1.2']);
    const lb2 = await port('lb2', '10.1.1.12', [vrrp], []);
    const plain = (await post('security-groups', { security_group: { name: 'plain' } })).id;
    await port('v1', '10.1.1.21', [plain], ['10.1.1.3']);
    await port('v2', '10.1.1.22', [plain], ['10.1.1.3']);
    const f = await findings();
    const missing = f.filter((x) => x.check === 'vip-pair-missing');
    expect(missing.map((x) => x.objects[0].id)).toEqual([lb2.id]);
    // its fix, proven over HTTP: the VIP as lb2's pair, which opens only what the VIP's traffic restores
    const proven = (await api(server.url, 'GET', `/analysis/v1/findings/${missing[0].id}/fixes`, admin)).body as { offered: Fix[]; refused: unknown[] };
    const attached = ((await api(server.url, 'GET', '/analysis/v1/findings?fixes=1', admin)).body.findings as Finding[]).find((x) => x.id === missing[0].id)!;
    expect(attached.fixes).toEqual(proven.offered);
    expect(f.every((x) => x.fixes === undefined)).toBe(true);
    expect(proven.offered.map((x) => x.actions)).toEqual([[{ op: 'set-port-pairs', port: lb2.id, pairs: [{ ip_address: '10.1.1.2' }], revision: expect.any(Number) }]]);
    expect(proven.offered[0].proof).toMatchObject({ findingGone: true, newFindings: [] });
    expect(f.filter((x) => x.check === 'vip-without-vrrp').map((x) => x.title).sort()).toEqual(['VIP 10.1.1.3: v1 drops VRRP from v2', 'VIP 10.1.1.3: v2 drops VRRP from v1']);
  });

  test('port security off beside protected ports; redundant rules; empty remote groups; admin ports open to the world; unused groups', async () => {
    await post('ports', { port: { name: 'open', network_id: net, fixed_ips: [{ ip_address: '10.1.1.40' }], port_security_enabled: false } });
    const g = (await post('security-groups', { security_group: { name: 'admin' } })).id;
    const wide = await post('security-group-rules', { security_group_rule: { security_group_id: g, direction: 'ingress', protocol: 'tcp', port_range_min: 20, port_range_max: 30 } });
    const narrow = await post('security-group-rules', { security_group_rule: { security_group_id: g, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8' } });
    const empty = (await post('security-groups', { security_group: { name: 'nobody' } })).id;
    const toEmpty = await post('security-group-rules', { security_group_rule: { security_group_id: g, direction: 'ingress', protocol: 'udp', remote_group_id: empty } });
    await post('ports', { port: { name: 'adm', network_id: net, fixed_ips: [{ ip_address: '10.1.1.50' }], security_groups: [g] } });
    const unused = (await post('security-groups', { security_group: { name: 'unused' } })).id;
    const f = await findings();
    const by = (check: string) => f.filter((x) => x.check === check);
    expect(by('port-security-disabled').map((x) => x.objects[0].name)).toEqual(['open']);
    expect(by('redundant-rule').map((x) => x.objects.slice(1).map((o) => o.id))).toContainEqual([narrow.id, wide.id]);
    expect(by('empty-remote-group').map((x) => x.objects[0].id)).toEqual([toEmpty.id]);
    const admin22 = by('admin-port-open-to-world').find((x) => x.objects[1].id === wide.id)!;
    expect(admin22.title).toMatch(/port 22, port 23/);
    expect(by('unused-group').map((x) => x.objects[0].id)).toContain(unused);
    expect(by('unused-group').map((x) => x.objects[0].id)).not.toContain(empty);
  });

  test('the HTTP routes: can-reach, exposure, 400 on a bad query, events on a change', async () => {
    const reach = await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: '10.1.1.40', dst: 'adm', protocol: 'tcp', port: 80 });
    expect(reach.status).toBe(200);
    expect(reach.body.verdict).toBe('DENY');
    const [entry, egress, ingress] = (reach.body as Explained).steps;
    expect(entry).toMatchObject({ stage: 'entry', ok: true, through: { kind: 'sender', port: { name: 'open' } }, text: 'source 10.1.1.40 is sent by port open' });
    expect(egress).toMatchObject({ stage: 'egress', ok: true, by: 'unfiltered', reason: 'port-security-disabled', text: 'open is not filtered (port security disabled)' });
    expect(ingress).toMatchObject({ stage: 'ingress', ok: false, by: 'no-rule', port: { name: 'adm' }, text: 'adm ingress has no rule for IPv4 tcp/80 from 10.1.1.40' });
    expect((await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: '10.1.1.40', dst: 'adm', protocol: 'tcp', port: 22 })).body.verdict).toBe('ALLOW');
    expect((await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: 'x', dst: 'adm', protocol: 'tcp' })).status).toBe(400);
    expect((await api(server.url, 'POST', '/analysis/v1/can-reach', admin, { src: 'x' })).status).toBe(400);
    const exposure = await api(server.url, 'GET', '/analysis/v1/exposure', admin);
    const open = (exposure.body.exposure as ExplainedExposure).filter((r) => r.port.name === 'open');
    expect(open.map((r) => r.sources)).toEqual([['0.0.0.0/0'], ['::/0']]);
    expect(open[0].origins).toEqual([{ cidr: '0.0.0.0/0', from: { kind: 'unfiltered', reason: 'port-security-disabled' }, via: 'not filtered (port security disabled)' }]);
    // the CLI's whole answer, its lines read back, is the route's; each origin is a line once, before the first row naming it (the reader refuses one named before)
    const lines = (await portsec('exposure', '--db', server.db, '-f', 'raw')).stdout;
    expect(readExposureLines(lines)).toEqual({ members: false, rows: exposure.body.exposure });
    const ids = lines.trim().split('\n').map((l) => JSON.parse(l) as { origin?: number }).flatMap((x) => (x.origin === undefined ? [] : [x.origin]));
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await api(server.url, 'GET', '/analysis/v1/findings', {})).status).toBe(401);
    const controller = new AbortController();
    const res = await fetch(`${server.url}/analysis/v1/events`, { headers: admin, signal: controller.signal });
    const reader = res.body!.getReader();
    const read = async () => new TextDecoder().decode((await reader.read()).value);
    expect(await read()).toMatch(/^event: hello/);
    await post('security-groups', { security_group: { name: 'another' } });
    expect(await read()).toMatch(/^event: change\ndata: \{"seq":\d+\}/);
    controller.abort();
  });

  test('a project sees only its own objects in the analysis', async () => {
    const mine = await api(server.url, 'GET', '/analysis/v1/findings', as('tenant-b'));
    expect(mine.status).toBe(200);
    expect(mine.body.findings).toEqual([]);
  });
});

describe.sequential('serve --guard wide-pair-in-remote-group', () => {
  const admin = as('admin', 'admin');
  for (const mode of ['reject', 'warn'] as const) {
    test(mode, async () => {
      const server = await startServer(['--auth', 'trusted-headers', '--guard', `wide-pair-in-remote-group=${mode}`]);
      try {
        const net = (await api(server.url, 'POST', '/v2.0/networks', admin, { network: { name: 'n' } })).body.network.id;
        await api(server.url, 'POST', '/v2.0/subnets', admin, { subnet: { network_id: net, cidr: '10.2.0.0/24', ip_version: 4 } });
        const ssh = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'ssh' } })).body.security_group.id;
        const proxy = (await api(server.url, 'POST', '/v2.0/security-groups', admin, { security_group: { name: 'proxy' } })).body.security_group.id;
        // a wide pair in a group nobody names is fine
        const nat = (await api(server.url, 'POST', '/v2.0/ports', admin, { port: { network_id: net, security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] } })).body.port;
        const before = (await api(server.url, 'GET', '/v2.0/security-group-rules', admin)).body.security_group_rules.length;
        const res = await fetch(`${server.url}/v2.0/security-group-rules`, { method: 'POST', headers: admin, body: JSON.stringify({ security_group_rule: { security_group_id: proxy, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh } }) });
        const rule = { status: res.status, body: await res.json() };
        const after = (await api(server.url, 'GET', '/v2.0/security-group-rules', admin)).body.security_group_rules.length;
        if (mode === 'reject') {
          expect(rule.status).toBe(409);
          expect(rule.body.NeutronError.type).toBe('WidePairInRemoteGroup');
          expect(rule.body.NeutronError.message).toContain(`Allowed address pair 0.0.0.0/0 of port ${nat.id} would make remote group ${ssh} stand for 0.0.0.0/0`);
          expect(after).toBe(before);
          // the other way round: the rule exists, then a port update adds the pair
          await api(server.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { allowed_address_pairs: [] } });
          expect((await api(server.url, 'POST', '/v2.0/security-group-rules', admin, { security_group_rule: { security_group_id: proxy, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh } })).status).toBe(201);
          const put = await api(server.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] } });
          expect(put.status).toBe(409);
          expect((await api(server.url, 'GET', `/v2.0/ports/${nat.id}`, admin)).body.port.allowed_address_pairs).toEqual([]);
          // a /32 pair is no pitfall
          expect((await api(server.url, 'PUT', `/v2.0/ports/${nat.id}`, admin, { port: { allowed_address_pairs: [{ ip_address: '10.2.0.99' }] } })).status).toBe(200);
        } else {
          expect(rule.status).toBe(201);
          expect(after).toBe(before + 1);
          expect(res.headers.get('x-portsec-warning')).toMatch(/^wide-pair-in-remote-group: Allowed address pair 0\.0\.0\.0\/0/);
          // a pitfall that already exists does not warn again on unrelated writes
          const again = await fetch(`${server.url}/v2.0/networks`, { method: 'POST', headers: admin, body: JSON.stringify({ network: { name: 'm' } }) });
          expect(again.status).toBe(201);
          expect(again.headers.get('x-portsec-warning')).toBeNull();
        }
      } finally {
        await server.stop();
      }
    });
  }
});
