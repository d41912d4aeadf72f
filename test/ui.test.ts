/**
 * The web console end to end, in real Chromium (Debian's, driven by
 * playwright-core) against a real `portsec serve`: the seed's pitfall built
 * through the API, highlighted in the graph, traced, fixed through the API and
 * un-highlighted live; and a graph large enough to be drawn the large way.
 * Screenshots go to test-artifacts/ui/.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Core } from 'cytoscape';
import { type Browser, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { liftQuotas, NeutronClient } from '../src/lab/client.js';
import type { Finding } from '../src/analysis/answers.js';
import type { Snapshot } from '../src/analysis/snapshot.js';
import { clusterGroups } from '../ui/src/graph/clusters.js';
import { referenceEdges } from '../ui/src/graph/elements.js';
import { widest, widthOf } from '../ui/src/graph/pairs.js';
import { type Cloud, mostRunBackend, type Port, shortNames } from '../ui/src/neutron.js';
import { rootCauses } from '../ui/src/root-causes.js';
import { foldDerived } from '../src/analysis/audit/fold.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';
import { api, exampleLogin, ROOT, type RunningConsole, type RunningServer, startConsole, startServer } from './support/server.js';

declare global {
  interface Window {
    portsecGraph?: Core;
  }
}

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts/ui');
/** what cytoscape reports for the style's red (#c21c2c) */
const RED = 'rgb(194,28,44)';

const launch = () => chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // the background-networking flags keep Chromium from calling out of a closed network
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/** What axe finds against WCAG 2 A/AA (contrast included) on the page as it stands. */
async function axeViolations(page: Page): Promise<string[]> {
  const axe = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // evaluated through the DevTools protocol: the console's CSP rightly refuses inline scripts
  await page.evaluate(axe);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } })
      .axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** Problems the page reports: console errors and warnings, uncaught exceptions. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

describe('pair widths and edges (the console\'s pure parts)', () => {
  test('a pair\'s width class follows its prefix length', () => {
    expect(['10.1.1.2', '10.1.1.2/32', 'fd00::1', 'fd00::1/128'].map(widthOf)).toEqual(['host', 'host', 'host', 'host']);
    expect(['10.1.1.0/24', '10.1.1.0/31', 'fd00::/120'].map(widthOf)).toEqual(['subnet', 'subnet', 'subnet']);
    expect(['10.0.0.0/23', '10.0.0.0/8', 'fd00::/64'].map(widthOf)).toEqual(['wide', 'wide', 'wide']);
    expect(['0.0.0.0/0', '::/0'].map(widthOf)).toEqual(['any', 'any']);
    expect(widest(['10.1.1.2', '10.0.0.0/8', '10.1.1.0/24'])).toBe('10.0.0.0/8');
  });

  test('edges run the way traffic flows, one per pair of groups, hidden groups left out', () => {
    const rule = (id: string, group: string, direction: 'ingress' | 'egress', remote: string | null) => ({
      id, security_group_id: group, direction, ethertype: 'IPv4' as const, protocol: 'tcp', port_range_min: 80, port_range_max: 80,
      remote_ip_prefix: null, remote_group_id: remote,
    });
    const cloud: Cloud = {
      groups: ['a', 'b'].map((id) => ({ id, name: id, description: '', project_id: 'p' })),
      rules: [rule('1', 'b', 'ingress', 'a'), rule('2', 'b', 'ingress', 'a'), rule('3', 'b', 'egress', 'a'), rule('4', 'a', 'ingress', 'hidden'), rule('5', 'a', 'ingress', null)],
      ports: [], networks: [],
    };
    expect(referenceEdges(cloud).map((e) => [e.id, e.rules.map((r) => r.id)])).toEqual([['a>b', ['1', '2']], ['b>a', ['3']]]);
  });

  test('the Migration tab starts from the backend most ports run as found; a tie goes to the first backend, none found to iptables', () => {
    const ports = (...backends: (Port['backend'])[]): Port[] => backends.map((backend, i) => ({
      id: `p${i}`, name: `p${i}`, network_id: 'n', security_groups: [], fixed_ips: [], allowed_address_pairs: [], port_security_enabled: true, ...(backend && { backend }),
    }));
    expect(mostRunBackend(ports('ovn', 'openvswitch', 'ovn', undefined, undefined, undefined))).toBe('ovn');
    expect(mostRunBackend(ports('ovn', 'iptables_hybrid'))).toBe('iptables_hybrid');
    expect(mostRunBackend(ports('openvswitch'))).toBe('openvswitch');
    expect(mostRunBackend(ports(undefined, undefined))).toBe('iptables');
    expect(mostRunBackend([])).toBe('iptables');
  });
});

describe('names, root causes and clusters (the console\'s pure parts)', () => {
  test('long names sharing a prefix are cut in the middle and stay apart; names cut alike get their id', () => {
    const items = ['production-eu-west-1-frontend-web-blue', 'production-eu-west-1-frontend-web-green', 'ssh', 'default', 'default']
      .map((name, i) => ({ id: `${i}abcdef`, name }));
    const short = shortNames(items, 20);
    expect([...short.values()]).toEqual(['production…-web-blue', 'production…web-green', 'ssh', 'default', 'default']);
    expect(Math.max(...[...short.values()].map((s) => s.length))).toBeLessThanOrEqual(20);
    const alike = shortNames(['a-very-long-name-1-that-ends-alike', 'a-very-long-name-2-that-ends-alike'].map((name, i) => ({ id: `${i}abc`, name })), 20);
    expect(new Set(alike.values()).size).toBe(2);
    expect([...alike.values()].map((s) => s.slice(-5))).toEqual(['#0abc', '#1abc']);
  });

  const finding = (id: string, check: string, title: string, portId: string, extra: Record<string, unknown> = {}): Finding => ({
    id, check, severity: 'critical', title, objects: [{ type: 'security_group', id: 'g' }, { type: 'port', id: portId }], evidence: [], ...extra,
  });

  test('findings group under the rootCause the analyzer\'s fold gives them, the worst cause first', () => {
    const fs = [
      finding('a1', 'wide-pair-in-remote-group', 'nat\'s allowed-address pair 0.0.0.0/0 widens every rule naming group ssh', 'nat'),
      finding('a2', 'wide-pair-pinned-to-mac', 'nat\'s allowed-address pair 0.0.0.0/0 in group ssh is pinned to its MAC', 'nat', { severity: 'low' }),
      finding('b1', 'wide-pair-in-remote-group', 'nat2\'s allowed-address pair 0.0.0.0/0 widens every rule naming group ssh', 'nat2'),
      { ...finding('u', 'unused-group', 'group x is unused', 'x'), severity: 'low' as const },
      // open to the Internet only through nat2's pair: a rule the wide-pair finding names
      { ...finding('o', 'admin-port-open-to-world', 'group web opens port 22 to the whole Internet', 'web-1'), objects: [{ type: 'security_group' as const, id: 'web' }, { type: 'security_group_rule' as const, id: 'rule-web-22' }] },
    ];
    fs[2].objects.push({ type: 'security_group_rule', id: 'rule-web-22' });
    const causes = rootCauses(foldDerived(fs));
    expect(causes.map((c) => c.findings.map((f) => f.id))).toEqual([['a1', 'a2'], ['b1', 'o'], ['u']]);
    expect(causes[1].root.id).toBe('b1');
  });

  test('groups cluster by project and reference component; unreferenced groups are one cluster per project', () => {
    const groups = ['a1', 'a2', 'a3', 'b1', 'b2', 'lone1', 'lone2'].map((id) => ({ id, name: id, description: '', project_id: id.startsWith('b') ? 'q' : 'p' }));
    const edges = [{ id: 'a1>a2', from: 'a1', to: 'a2', rules: [] }, { id: 'a3>a2', from: 'a3', to: 'a2', rules: [] }, { id: 'b1>b2', from: 'b1', to: 'b2', rules: [] }];
    const c = clusterGroups(groups, edges);
    expect([...c.clusters.values()].map((x) => [x.project, x.groups, x.hub])).toEqual([
      ['p', ['a1', 'a2', 'a3'], 'a2'], ['q', ['b1', 'b2'], 'b1'], ['p', ['lone1', 'lone2'], undefined],
    ]);
    expect([...c.projects!.keys()]).toEqual(['p', 'q']);
  });
});

describe('web console in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let neutron: NeutronClient;
  let problems: string[];
  const ids: Record<string, string> = {};

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  /** classes and drawn colour of graph elements whose data(ref) is the given one */
  const drawn = (ref: string) => page.evaluate((r) => window.portsecGraph!.elements().filter((e) => e.data('ref') === r).map((e) => ({
    classes: e.classes(), colour: e.isEdge() ? e.style('line-color') : e.style('outline-color'), parent: e.isNode() ? e.parent().data('ref') : undefined,
  })), ref);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServer(['--admin-password', 'admin', '--allocation-seed', '1']);
    neutron = await NeutronClient.connect(server.url, 'admin');
    browser = await launch();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    problems = watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the seed\'s pitfall is created through the API', async () => {
    const net = (await neutron.call('POST', 'networks', { network: { name: 'priv' } })).network;
    const sub = (await neutron.call('POST', 'subnets', { subnet: { name: 'priv', network_id: net.id, cidr: '10.10.10.0/24', ip_version: 4 } })).subnet;
    const group = async (name: string) => (await neutron.call('POST', 'security-groups', { security_group: { name } })).security_group.id as string;
    ids.ssh = await group('ssh');
    ids.proxy = await group('proxy');
    await neutron.call('POST', 'security-group-rules', { security_group_rule: {
      security_group_id: ids.ssh, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' } });
    ids.rule80 = (await neutron.call('POST', 'security-group-rules', { security_group_rule: {
      security_group_id: ids.proxy, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ids.ssh } })).security_group_rule.id;
    const port = async (name: string, ip: string, groups: string[], pairs: string[] = [], host?: string) => (await neutron.call('POST', 'ports', { port: {
      name, network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: ip }], security_groups: groups,
      allowed_address_pairs: pairs.map((ip_address) => ({ ip_address })), ...(host && { 'binding:host_id': host }) } })).port.id as string;
    ids.nat = await port('nat', '10.10.10.10', [ids.ssh], ['0.0.0.0/0']);
    ids.int = await port('int', '10.10.10.20', [ids.ssh]);
    // bound: the server's binding (linuxbridge) shows proxy's firewall; the others take the default
    ids.proxyPort = await port('proxy', '10.10.10.30', [ids.proxy], [], 'cn1');
  });

  test('logs in with the keyboard; the token stays in this tab\'s session', async () => {
    await page.goto(`${server.url}/ui`);
    // the console's code comes after the page's load event (so that its data can be on its way meanwhile)
    await page.locator('input[name="user"]').waitFor();
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('user');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type('admin');
    await shot('login');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => performance.getEntriesByName('portsec:graph').length > 0);
    const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('portsec.session') ?? '{}'));
    expect(session).toMatchObject({ user: 'admin', project: 'admin', isAdmin: true });
    expect(session.token).toMatch(/\S{20,}/);
    // the firewall starts as the cloud runs it: each port's own
    const firewall = page.getByRole('combobox', { name: /^Firewall/ });
    expect(await firewall.inputValue()).toBe('');
    expect(await firewall.locator('option:checked').textContent()).toBe('as the cloud runs it (per port)');
  });

  test('the pitfall is drawn in red: the ssh → proxy edge and the NAT server\'s port, with the finding beside them', async () => {
    await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
    const edge = await drawn(`edge:${ids.ssh}>${ids.proxy}`);
    expect(edge).toHaveLength(1);
    expect(edge[0].classes).toContain('finding-red');
    expect(edge[0].colour).toBe(RED);
    const nat = await drawn(`port:${ids.nat}`);
    expect(nat[0].classes).toEqual(expect.arrayContaining(['finding-red', 'width-any']));
    expect(nat[0].colour).toBe(RED);
    expect((await drawn(`port:${ids.int}`))[0].classes).not.toContain('finding-red');
    const side = page.getByRole('complementary', { name: 'Findings on the graph' });
    await expect.poll(() => side.locator('[data-check="wide-pair-in-remote-group"]').count()).toBe(1);
    await expect.poll(() => side.textContent()).toContain('0.0.0.0/0');
    await shot('pitfall');
  });

  test('a graph node is reached from the list with the keyboard, with a visible focus ring', async () => {
    const item = page.getByRole('navigation', { name: 'Security groups' }).getByRole('button', { name: /^ssh/ });
    await item.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await item.evaluate((el) => el === document.activeElement && getComputedStyle(el).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Group ssh', exact: true }).waitFor();
    expect(await page.evaluate(() => window.portsecGraph!.$(':selected').map((e) => e.data('ref')))).toEqual([`group:${ids.ssh}`]);
    await page.getByRole('button', { name: 'nat', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Port nat', exact: true }).waitFor();
    await shot('port-nat');
  });

  test('the fix commands can be copied', async () => {
    await page.getByRole('tab', { name: /Findings/ }).click();
    // before a proof, the fix is the command that proves and prints it
    const card = page.locator('.findings-view [data-check="wide-pair-in-remote-group"]').first();
    await card.getByRole('button', { name: /^Copy the fix/ }).click();
    await card.getByText('Copied', { exact: true }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^portsec fix wide-pair-in-remote-group-[0-9a-f]{8}$/);
    // proven, the script runs as it stands
    await card.getByRole('button', { name: 'Prove the fixes' }).click();
    await card.getByRole('button', { name: /^Copy the proven fix/ }).first().click();
    await card.getByText('Copied', { exact: true }).first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^openstack /m);
    // each card names the backend its finding assumes (per port: the pair's port, nat, unbound: the default)
    expect(await page.locator('.findings-view [data-check="wide-pair-in-remote-group"] .meta').textContent()).toBe('check wide-pair-in-remote-group · assumes iptables');
  });

  test('can-reach from 200.200.200.200 to proxy tcp/80: ALLOW, through the NAT server\'s pair 0.0.0.0/0', async () => {
    await page.getByRole('tab', { name: /Findings/ }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Can reach?' }).getAttribute('aria-selected')).toBe('true');
    await page.getByLabel(/^Source/).fill('200.200.200.200');
    await page.getByLabel(/^Destination/).fill('proxy');
    await page.getByLabel('Protocol').fill('tcp');
    await page.getByLabel(/^Port/).fill('80');
    await page.getByLabel(/^Port/).press('Enter');
    const verdict = page.locator('[data-verdict]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('ALLOW');
    const steps = await page.locator('.steps > li').evaluateAll((lis) => lis.map((li) => ({ ok: li.classList.contains('ok'), text: li.textContent ?? '' })));
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.every((s) => s.ok)).toBe(true);
    expect(steps.some((s) => /\bnat\b/.test(s.text) && s.text.includes('0.0.0.0/0'))).toBe(true);
    // the ingress step names the member that matched, the objects linked inside its sentences
    const ingress = page.locator('.steps > li[data-stage="ingress"] .sentence');
    expect(await ingress.nth(1).textContent()).toBe('source 200.200.200.200 matches group ssh\'s member nat via allowed-address-pair 0.0.0.0/0');
    expect(await ingress.nth(1).getByRole('button').allTextContents()).toEqual(['ssh', 'nat']);
    // each side's firewall: nat's (it sends 200.200.200.200 through its pair), unbound, the default; proxy's as its binding shows it
    const assumed = page.getByRole('list', { name: 'Firewall assumed' }).getByRole('listitem');
    expect(await assumed.allTextContents()).toEqual([
      'nat egress: iptables · default (not bound to a host)',
      'proxy ingress: iptables · found (bound by linuxbridge (binding:vif_details.bound_drivers): ML2/linuxbridge)',
    ]);
    await shot('trace-allow');
  });

  test('the firewall choice: the Migration tab lists what a move to OVN changes, and can-reach answers for the backend chosen', async () => {
    const firewall = page.getByRole('combobox', { name: /^Firewall/ });
    await firewall.selectOption('iptables_hybrid');
    await page.getByRole('tab', { name: 'Migration' }).click();
    const rows = page.locator('.migration-view tbody tr');
    await rows.first().waitFor();
    expect(await page.locator('.migration-view thead th').allTextContents()).toEqual(['Destination', 'Service', 'Sent by', 'Sources', 'iptables_hybrid', 'ovn', 'One flow']);
    // forced: the tab moves from the console's firewall, no choice of its own
    expect(await page.getByRole('combobox', { name: /^Move from/ }).count()).toBe(0);
    // the rows are the API's for the same pair of backends
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('portsec.session')!).token as string);
    const api = await (await fetch(`${server.url}/analysis/v1/diff?backend=iptables_hybrid&to_backend=ovn`, { headers: { 'X-Auth-Token': token } })).json();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.senders, (tr as HTMLElement).dataset.change])))
      .toEqual(api.rows.map((r: { senders: { name: string }[] }) => [r.senders.map((x) => x.name).join(' '), 'ALLOW->DENY']));
    const nat = rows.filter({ has: page.locator('td:nth-child(3)', { hasText: /^nat$/ }) }).first();
    expect(await nat.locator('td').nth(1).textContent()).toBe('IPv4 tcp/80');
    expect(await nat.locator('td').nth(3).textContent()).toMatch(/^0\.0\.0\.0\/0 except 10\.10\.10\.10\/32, 10\.10\.10\.20\/32/);
    expect(await nat.locator('td[data-side="to"]').textContent()).toContain('on ovn remote group ssh stands for its members\' fixed IPs only: nat\'s allowed-address pair 0.0.0.0/0 is not a member');
    await shot('migration');
    // moving somewhere that changes nothing for this cloud
    await page.getByRole('combobox', { name: /^Move to/ }).selectOption('iptables');
    await page.getByText('No flow changes verdict.').waitFor();
    await page.getByRole('combobox', { name: /^Move to/ }).selectOption('ovn');

    // a row's flow opens in can-reach, answered for the console's firewall: the row's first verdict
    const flow = api.rows[0].flow as { src: string; dst: string; sourceIp: string };
    await rows.first().getByRole('button', { name: /^Trace one flow/ }).click();
    expect(await page.getByLabel(/^Address sent from/).inputValue()).toBe(flow.sourceIp);
    expect(await page.getByLabel(/^Destination/).inputValue()).toBe(flow.dst);
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.locator('[data-verdict="ALLOW"]').waitFor();
    expect(await page.locator('.assumed .backend-badge').allTextContents()).toEqual(['iptables_hybrid · forced', 'iptables_hybrid · forced']);

    await firewall.selectOption('ovn');
    await page.getByRole('tab', { name: 'Can reach?' }).click();
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.locator('[data-verdict="DENY"]').waitFor();
    // the findings follow too: on OVN the pair is no member, so nothing is red
    await page.waitForFunction((ref) => !window.portsecGraph!.elements().filter((e) => e.data('ref') === ref).hasClass('finding-red'), `edge:${ids.ssh}>${ids.proxy}`);
    // back to each port's own: nat unbound (the default), proxy bound (found), both iptables here
    await firewall.selectOption({ label: 'as the cloud runs it (per port)' });
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.locator('[data-verdict="ALLOW"]').waitFor();
    expect(await page.locator('.assumed .backend-badge').allTextContents()).toEqual(['iptables · default', 'iptables · found']);
    await page.waitForFunction((ref) => window.portsecGraph!.elements().filter((e) => e.data('ref') === ref).hasClass('finding-red'), `edge:${ids.ssh}>${ids.proxy}`);

    // exposure: each row's firewall, the API's for the same (unforced) query
    await page.getByRole('tab', { name: 'Exposure' }).click();
    const exposed = page.locator('.exposure-view tbody tr');
    await exposed.first().waitFor();
    const apiExposure = await (await fetch(`${server.url}/analysis/v1/exposure`, { headers: { 'X-Auth-Token': token } })).json();
    expect(await exposed.evaluateAll((trs) => trs.map((tr) => [(tr as HTMLElement).dataset.port, tr.querySelector('.backend-badge')?.textContent])))
      .toEqual(apiExposure.exposure.map((r: { port: { name: string }; backend: string }) => [r.port.name, r.backend]));
    expect(new Set(apiExposure.exposure.map((r: { backend: string }) => r.backend))).toEqual(new Set(['iptables']));

    // per port the Migration tab has its own from: the backend most ports run as found (proxy's), and the rows follow it
    await page.getByRole('tab', { name: 'Migration' }).click();
    const cloud = await (await fetch(`${server.url}/analysis/v1/cloud`, { headers: { 'X-Auth-Token': token } })).json();
    expect(Object.fromEntries(cloud.ports.map((p: { name: string; backend?: string }) => [p.name, p.backend]))).toEqual({ nat: undefined, int: undefined, proxy: 'iptables' });
    const from = page.getByRole('combobox', { name: /^Move from/ });
    expect(await from.inputValue()).toBe('iptables');
    await rows.first().waitFor();
    const changes = async (b: string, to: string) => ((await (await fetch(`${server.url}/analysis/v1/diff?backend=${b}&to_backend=${to}`, { headers: { 'X-Auth-Token': token } })).json())
      .rows as { from: { verdict: string }; to: { verdict: string } }[]).map((r) => `${r.from.verdict}->${r.to.verdict}`);
    const shown = () => rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.change));
    const fromIptables = await changes('iptables', 'ovn');
    expect(fromIptables.length).toBeGreaterThan(0);
    await expect.poll(shown).toEqual(fromIptables);
    await from.selectOption('ovn');
    await page.getByRole('combobox', { name: /^Move to/ }).selectOption('openvswitch');
    await expect.poll(() => page.locator('.migration-view thead th').allTextContents()).toEqual(['Destination', 'Service', 'Sent by', 'Sources', 'ovn', 'openvswitch', 'One flow']);
    await page.locator('.migration-view caption').waitFor();
    const fromOvn = await changes('ovn', 'openvswitch');
    expect(fromOvn.length).toBeGreaterThan(0);
    await expect.poll(shown).toEqual(fromOvn);
    await shot('migration-per-port');
  });

  test('the fix applied through the API clears the highlight live, without a reload', async () => {
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const natServer = (await neutron.call('POST', 'security-groups', { security_group: { name: 'nat-server' } })).security_group.id;
    await neutron.call('POST', 'security-group-rules', { security_group_rule: {
      security_group_id: natServer, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' } });
    await neutron.call('PUT', `ports/${ids.nat}`, { port: { security_groups: [natServer] } });

    await page.waitForFunction((ref) => {
      const edge = window.portsecGraph?.elements().filter((e) => e.data('ref') === ref);
      return edge?.length === 1 && !edge.hasClass('finding-red');
    }, `edge:${ids.ssh}>${ids.proxy}`);
    expect((await drawn(`edge:${ids.ssh}>${ids.proxy}`))[0].colour).not.toBe(RED);
    const nat = await drawn(`port:${ids.nat}`);
    expect(nat).toHaveLength(1);
    expect(nat[0].classes).not.toContain('finding-red');
    expect(nat[0].parent).toBe(`group:${natServer}`);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.getByRole('button', { name: '← All findings on the graph' }).click();
    await page.getByText('Nothing drawn in red or amber').waitFor();
    await shot('fixed');
  });

  test('after the fix the same trace is denied', async () => {
    await page.getByRole('tab', { name: 'Can reach?' }).click();
    await page.getByRole('button', { name: 'Trace' }).click();
    await page.locator('[data-verdict="DENY"]').waitFor();
    expect(await page.locator('.steps > li.blocked').count()).toBeGreaterThan(0);
    await shot('trace-deny');
  });

  test('every view passes axe\'s WCAG 2 A/AA checks (contrast included)', async () => {
    for (const tab of ['Graph', 'Findings', 'Can reach?', 'Exposure', 'Migration']) {
      await page.getByRole('tab', { name: new RegExp(`^${tab.replace('?', '\\?')}`) }).click();
      if (tab === 'Exposure') await page.locator('.exposure-view tbody tr').first().waitFor();
      if (tab === 'Migration') await page.locator('.migration-view caption').waitFor();
      expect(await axeViolations(page), tab).toEqual([]);
    }
    await shot('exposure');
  });

  test('no console errors or warnings', () => {
    expect(problems).toEqual([]);
  });
});

describe('a large graph (over 400 groups), and the cloud the console reads', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const ids: Record<string, string> = {};
  /** groups g0 … g419 besides ssh and proxy, each but the first naming the one before as remote group */
  const GROUPS = 420;
  /** ports in them: more than the console opens all groups for (600 appearances), so they start collapsed */
  const PORTS = 610;

  const login = async (user: string, password: string) => (await fetch(`${server.url}/v3/auth/tokens`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } } } }),
  })).headers.get('x-subject-token')!;
  const cloudAs = async (token: string) => {
    const res = await fetch(`${server.url}/analysis/v1/cloud`, { headers: { 'X-Auth-Token': token } });
    return { status: res.status, body: await res.json() };
  };
  /** The group nodes and the references (edges or lines) the cloud makes, as the console's pure parts count them. */
  const expected = async () => {
    const { body } = await cloudAs(await login('admin', 'admin'));
    return { groups: body.security_groups.length, references: referenceEdges({ groups: body.security_groups, rules: body.security_group_rules, ports: [], networks: [] }).length };
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portsec-ui-large-'));
    writeFileSync(join(dir, 'accounts.yaml'), JSON.stringify([{ username: 'alice', password: 'alice', project_name: 'other' }]));
    server = await startServer(['--admin-password', 'admin', '--accounts', join(dir, 'accounts.yaml')], dir);
    const neutron = await NeutronClient.connect(server.url, 'admin');
    // 422 groups and 610 ports in one project: more than Neutron's default quotas
    await liftQuotas((m, path, body) => neutron.call(m, path, body));
    const net = (await neutron.call('POST', 'networks', { network: { name: 'priv' } })).network;
    const sub = (await neutron.call('POST', 'subnets', { subnet: { name: 'priv', network_id: net.id, cidr: '10.20.0.0/16', ip_version: 4 } })).subnet;
    const groups = (await neutron.call('POST', 'security-groups', { security_groups: ['ssh', 'proxy', ...Array.from({ length: GROUPS }, (_, i) => `g${i}`)]
      .map((name) => ({ name })) })).security_groups as { id: string; name: string }[];
    for (const g of groups) ids[g.name] = g.id;
    const ingress = (group: string, remote: string) => ({ security_group_id: ids[group], direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ids[remote] });
    await neutron.call('POST', 'security-group-rules', { security_group_rules: [ingress('proxy', 'ssh'), ...Array.from({ length: GROUPS - 1 }, (_, i) => ingress(`g${i + 1}`, `g${i}`))] });
    // the pitfall: ssh's NAT server with pair 0.0.0.0/0 makes ssh → proxy red
    await neutron.call('POST', 'ports', { ports: [
      { name: 'nat', network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: '10.20.0.10' }], security_groups: [ids.ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] },
      ...Array.from({ length: PORTS - 1 }, (_, i) => ({ name: `p${i}`, network_id: net.id, security_groups: [ids[`g${i % GROUPS}`]] })),
    ] });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    problems = watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('GET /analysis/v1/cloud: the caller\'s project\'s view, the attributes the console reads, and the change it is as of', async () => {
    const admin = await cloudAs(await login('admin', 'admin'));
    expect(admin.status).toBe(200);
    expect(admin.body.security_groups.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['ssh', 'proxy', 'g0', `g${GROUPS - 1}`]));
    expect(admin.body.security_group_rules.filter((r: { port_range_min: number | null }) => r.port_range_min === 80)).toHaveLength(GROUPS);
    expect(admin.body.ports).toHaveLength(PORTS);
    expect(admin.body.ports.find((p: { name: string }) => p.name === 'nat')).toEqual({ id: expect.any(String), name: 'nat', network_id: expect.any(String),
      security_groups: [ids.ssh], fixed_ips: [{ ip_address: '10.20.0.10' }], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }], port_security_enabled: true });
    const events = new AbortController();
    const res = await fetch(`${server.url}/analysis/v1/events`, { headers: { 'X-Auth-Token': await login('admin', 'admin') }, signal: events.signal });
    expect(new TextDecoder().decode((await res.body!.getReader().read()).value)).toBe(`event: hello\ndata: {"seq":${admin.body.seq}}\n\n`);
    events.abort();
    // another project sees none of it, as in its Neutron listings
    const alice = await cloudAs(await login('alice', 'alice'));
    expect(alice.status).toBe(200);
    expect([alice.body.security_groups, alice.body.security_group_rules, alice.body.ports, alice.body.networks]).toEqual([[], [], [], []]);
    expect((await fetch(`${server.url}/analysis/v1/cloud`)).status).toBe(401);
  });

  test('clusters first; opened, the groups are drawn with references under them on the underlay, the pitfall\'s in red, picked by a click', async () => {
    const token = await login('admin', 'admin');
    const session = { token, user: 'admin', project: 'admin', isAdmin: true, expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    await page.addInitScript((s) => sessionStorage.setItem('portsec.session', s), JSON.stringify(session));
    await page.goto(`${server.url}/ui`);
    await page.waitForFunction(() => performance.getEntriesByName('portsec:graph').length > 0);
    const { groups, references } = await expected();
    const underlay = page.locator('.graph-canvas > canvas');
    // the chain g0 … g419 (named by its first group of most references), ssh → proxy, and the default group, which names only itself
    const clusters = () => page.evaluate(() => window.portsecGraph!.nodes('.cluster').map((n) => String(n.data('label')).split('\n')[0]).sort());
    expect(await clusters()).toEqual(['g1 +419', 'groups without references', 'ssh +1']);
    expect(await page.evaluate(() => window.portsecGraph!.nodes('.group').length)).toBe(0);
    for (const name of ['g1 +419', 'ssh +1', 'groups without references']) {
      await page.evaluate((n) => {
        window.portsecGraph!.nodes('.cluster').filter((c) => String(c.data('label')).startsWith(`${n}\n`)).emit('tap');
      }, name);
      await page.getByRole('heading', { name: /^Cluster / }).waitFor();
    }
    await expect.poll(() => page.evaluate(() => window.portsecGraph!.nodes('.group').length)).toBe(groups);
    expect(await page.evaluate(() => window.portsecGraph!.edges().length)).toBe(0);
    await expect.poll(() => underlay.getAttribute('data-lines')).toBe(String(references));
    await page.getByRole('button', { name: '← All findings on the graph' }).click();
    // zoomed in on ssh → proxy (side by side: made one after the other), their midpoint taken anew on each
    // poll: on a loaded machine the layout may still be placing them when the first look is taken
    const centre = () => page.evaluate(([ssh, proxy]) => {
      const cy = window.portsecGraph!;
      const ends = cy.getElementById(`g:${ssh}`).union(cy.getElementById(`g:${proxy}`));
      cy.zoom(1);
      cy.center(ends);
      const [a, b] = ends.nodes().map((n) => n.renderedPosition());
      return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    }, [ids.ssh, ids.proxy]);
    let mid = await centre();
    const pixel = async () => {
      mid = await centre();
      return underlay.evaluate((c: HTMLCanvasElement, p) => {
        // read from a copy made for reading: polling the console's own canvas makes Chromium warn about repeated readbacks
        const copy = document.createElement('canvas');
        copy.width = c.width;
        copy.height = c.height;
        const ctx = copy.getContext('2d', { willReadFrequently: true })!;
        ctx.drawImage(c, 0, 0);
        const [r, g, b] = ctx.getImageData(p.x * devicePixelRatio, p.y * devicePixelRatio, 1, 1).data;
        return `rgb(${r},${g},${b})`;
      }, mid);
    };
    await expect.poll(pixel, { timeout: 15_000 }).toBe(RED);
    const box = (await underlay.boundingBox())!;
    // clicked where the line is now: a layout still settling may have moved it since the pixel was read
    const heading = page.getByRole('heading', { name: 'ssh → proxy' });
    await expect.poll(async () => {
      mid = await centre();
      await page.mouse.click(box.x + mid.x, box.y + mid.y);
      return heading.isVisible();
    }, { timeout: 30_000 }).toBe(true);
    await page.getByRole('complementary', { name: 'Selection' }).locator('[data-check="wide-pair-in-remote-group"]').waitFor();
    // the selected reference is a cytoscape edge, drawn selected, and no longer a line
    // (the selection panel may render before the graph redraws: both are polled)
    await expect.poll(() => page.evaluate(() => window.portsecGraph!.edges(':selected').map((e) => e.data('ref')))).toEqual([`edge:${ids.ssh}>${ids.proxy}`]);
    await expect.poll(() => underlay.getAttribute('data-lines')).toBe(String(references - 1));
    await page.screenshot({ path: join(ARTIFACTS, 'large.png') });
    expect(problems).toEqual([]);
  });
});

describe('serve --example seed, the README\'s first command: the pitfall, its proven fix and its trace', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    server = await startServer(['--example', 'seed']);
    const { consoleUrl, password } = await exampleLogin(server);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    problems = watch(page);
    await page.goto(consoleUrl);
    await page.locator('input[name="user"]').fill('admin');
    await page.locator('input[name="password"]').fill(password);
    await page.locator('input[name="password"]').press('Enter');
    await page.waitForFunction(() => performance.getEntriesByName('portsec:graph').length > 0);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the Findings tab proves the wide pair\'s fixes in one click: the finding gone, nothing opened, the group created in the port owner\'s project', async () => {
    await page.getByRole('tab', { name: /Findings/ }).click();
    const card = page.locator('.findings-view [data-check="wide-pair-in-remote-group"]');
    await card.waitFor();
    await card.getByRole('button', { name: 'Prove the fixes' }).click();
    const fixes = card.locator('.proven-fix');
    await fixes.first().waitFor();
    const offered = await fixes.evaluateAll((els) => els.map((el) => ({
      proof: el.querySelector('.proof')?.textContent ?? '',
      script: el.querySelector('pre')?.textContent ?? '',
    })));
    // a count of flow classes, in the number it agrees with
    const n = '(?:1 flow class|(?:0|[2-9]|[1-9]\\d+) flow classes)';
    const gone = new RegExp(`^Proven: closes ${n.replace('0|', '')}, leaves ${n} open, opens nothing; the finding is gone afterwards\\.$`);
    const proven = offered.filter((f) => gone.test(f.proof));
    expect(proven.length).toBeGreaterThan(0);
    expect(proven.some((f) => /^\S+=\$\(openstack security group create --project [0-9a-f]{32} /m.test(f.script))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'example-proven-fix.png') });
  });

  test('the finding leads to its trace: the affected port, traced to from 200.200.200.200 on tcp/80, ALLOW through the finding alone', async () => {
    const card = page.locator('.findings-view [data-check="wide-pair-in-remote-group"]');
    const id = await card.getAttribute('data-id');
    await card.getByRole('button', { name: 'port proxy-eth0', exact: true }).click();
    await page.getByRole('heading', { name: /^Port proxy-eth0/ }).waitFor();
    await page.getByRole('button', { name: 'Trace to this port' }).click();
    expect(await page.getByLabel(/^Destination/).inputValue()).toBe('proxy-eth0');
    await page.getByLabel(/^Source/).fill('200.200.200.200');
    await page.getByLabel('Protocol').fill('tcp');
    await page.getByLabel(/^Port/).fill('80');
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.locator('[data-verdict="ALLOW"]').waitFor();
    expect(await page.locator('.steps > li[data-stage="ingress"] .through').getAttribute('data-finding')).toBe(id);
    expect(problems).toEqual([]);
  });
});

/** The seed's pitfall as a dump: nat (pair 0.0.0.0/0) and int in ssh, whose members proxy admits on tcp/80; egress open, as Neutron makes groups. */
function seedDump(): Snapshot {
  return snapshot([
    port('nat', ['10.10.10.10'], ['ssh'], ['0.0.0.0/0']), port('int', ['10.10.10.20'], ['ssh']), port('proxy', ['10.10.10.30'], ['proxy']),
  ], ['ssh', 'proxy'], [
    rule('r22', 'ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
    rule('r80', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
    // the egress every new group gets
    ...['ssh', 'proxy'].map((g) => rule(`egress-${g}`, g, { direction: 'egress', protocol: null })),
  ]);
}

/** Whether two labels' boxes (model coordinates) overlap. */
const overlap = (a: { x1: number; x2: number; y1: number; y2: number }, b: typeof a) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

describe('portsec console over the seed\'s dump: read-only, no login', () => {
  let console_: RunningConsole;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portsec-console-'));
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(seedDump()));
    console_ = await startConsole(['--from', join(dir, 'seed.json')]);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    problems = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
    await console_?.stop();
  });

  test('the server answers the analysis to the token only, has no Neutron API and listens on loopback', async () => {
    expect(new URL(console_.url).hostname).toBe('127.0.0.1');
    expect((await fetch(`${console_.origin}/analysis/v1/cloud`)).status).toBe(401);
    expect((await fetch(`${console_.origin}/analysis/v1/cloud`, { headers: { 'X-Auth-Token': `${console_.token}x` } })).status).toBe(401);
    const cloud = await (await fetch(`${console_.origin}/analysis/v1/cloud`, { headers: { 'X-Auth-Token': console_.token } })).json();
    expect(cloud.security_groups.map((g: { name: string }) => g.name)).toEqual(['ssh', 'proxy']);
    const write = await fetch(`${console_.origin}/v2.0/ports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"port":{}}' });
    expect(write.status).toBe(404);
    const refused = await startConsole(['--from', 'x.json', '--listen', '0.0.0.0:0']).then(() => 'started', (e: Error) => e.message);
    expect(refused).toMatch(/listens on this machine only/);
  });

  test('a live cloud is read once (--os-endpoint of a Neutron, no Keystone) and served read-only', async () => {
    const neutron = await startServer(['--auth', 'none']);
    try {
      const made = await api(neutron.url, 'POST', '/v2.0/security-groups', { 'Content-Type': 'application/json' }, { security_group: { name: 'live-only' } });
      expect(made.status).toBe(201);
      const live = await startConsole(['--os-endpoint', neutron.url, '--os-auth-type', 'none']);
      try {
        const cloud = await (await fetch(`${live.origin}/analysis/v1/cloud`, { headers: { 'X-Auth-Token': live.token } })).json();
        expect(cloud.security_groups.map((g: { name: string }) => g.name)).toContain('live-only');
        // read once: a later change in the cloud is not in the console's snapshot
        await api(neutron.url, 'POST', '/v2.0/security-groups', { 'Content-Type': 'application/json' }, { security_group: { name: 'made-later' } });
        const again = await (await fetch(`${live.origin}/analysis/v1/cloud`, { headers: { 'X-Auth-Token': live.token } })).json();
        expect(again).toEqual(cloud);
      } finally {
        await live.stop();
      }
    } finally {
      await neutron.stop();
    }
  });

  test('the printed URL opens the console without a login: the pitfall finding, and proxy\'s tcp/80 from ssh marked as allowed only through it', async () => {
    await page.goto(console_.url);
    await page.waitForFunction(() => performance.getEntriesByName('portsec:graph').length > 0);
    // the token left the address bar; no login form, no log out
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.locator('input[name="user"]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    expect(await page.locator('.who').textContent()).toMatch(/^read-only · files .*seed\.json$/);
    const side = page.getByRole('complementary', { name: 'Findings on the graph' });
    await side.locator('[data-check="wide-pair-in-remote-group"]').waitFor();
    const id = await side.locator('[data-check="wide-pair-in-remote-group"]').getAttribute('data-id');
    const edge = await page.evaluate(() => window.portsecGraph!.edges().map((e) => ({ ref: e.data('ref'), finding: e.data('finding'), classes: e.classes(), dashed: e.style('line-style'), label: e.data('label') })));
    expect(edge).toEqual([{ ref: 'edge:ssh>proxy', finding: id, classes: expect.arrayContaining(['through-finding', 'finding-red']), dashed: 'dashed', label: expect.stringMatching(/^tcp\/80: allowed only through a finding\n⚠ nat's allowed-address pair 0\.0\.0\.0\/0/) }]);
    // the edge's labels and the nodes' do not cover one another
    const boxes = await page.evaluate(() => window.portsecGraph!.elements().filter((e) => e.isEdge() || e.isChild() || !e.isParent())
      .map((e) => e.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true } as never)).filter((b) => b.w > 0));
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i], boxes[j]), `labels ${i} and ${j}`).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'console-seed.png') });
  });

  test('the marked reference links to its finding', async () => {
    await page.evaluate(() => {
      window.portsecGraph!.$('edge').emit('tap');
    });
    const note = page.getByRole('complementary', { name: 'Selection' }).locator('.through').first();
    await note.waitFor();
    expect(await note.textContent()).toMatch(/^⚠ allowed only through a finding: nat's allowed-address pair 0\.0\.0\.0\/0 widens every rule naming group ssh/);
    const id = await note.getAttribute('data-finding');
    await note.getByRole('button').click();
    expect(await page.getByRole('tab', { name: /Findings/ }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id)).toBe(id);
    expect(await page.evaluate(() => document.activeElement?.closest('.findings-view') !== null)).toBe(true);
  });

  test('the lists mark it too: proxy\'s exposure to 0.0.0.0/0 and the can-reach step admitting 200.200.200.200, through the NAT server\'s pair only', async () => {
    const id = await page.locator('.findings-view [data-check="wide-pair-in-remote-group"]').getAttribute('data-id');
    await page.getByRole('tab', { name: 'Exposure' }).click();
    // the row names the rule and counts group ssh's members; opening them lists each, as the API gives them with members=1
    const row = page.locator('.exposure-view tr[data-port="proxy"]');
    await row.locator('.origins > li').first().waitFor();
    expect(await row.locator('.origins > li').first().textContent()).toMatch(/^remote group ssh's \d+ members? \(rule \S+ of group proxy\)/);
    await row.locator('.members summary').first().click();
    const origins = row.locator('.members li');
    await origins.first().waitFor();
    const marked = await origins.evaluateAll((lis) => lis.map((li) => [li.querySelector('code')?.textContent, li.querySelector<HTMLElement>('.through')?.dataset.finding]));
    expect(marked).toContainEqual(['0.0.0.0/0', id]);
    // the members' own addresses admit without any finding
    expect(marked.filter(([cidr]) => cidr !== '0.0.0.0/0').every(([, f]) => f === undefined)).toBe(true);
    await page.getByRole('tab', { name: 'Can reach?' }).click();
    await page.getByLabel(/^Source/).fill('200.200.200.200');
    await page.getByLabel(/^Destination/).fill('proxy');
    await page.getByLabel('Protocol').fill('tcp');
    await page.getByLabel(/^Port/).fill('80');
    await page.getByRole('button', { name: 'Trace', exact: true }).click();
    await page.locator('[data-verdict="ALLOW"]').waitFor();
    expect(await page.locator('.steps > li').evaluateAll((lis) => lis.map((li) => [(li as HTMLElement).dataset.stage, li.querySelector<HTMLElement>('.through')?.dataset.finding])))
      .toEqual([['entry', undefined], ['spoof', undefined], ['egress', undefined], ['ingress', id]]);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('tab', { name: 'Exposure' }).click();
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('portsec console on 1,000 groups: labelled clusters and root causes first', () => {
  const TIERS = ['lb', 'web', 'app', 'db', 'cache', 'queue', 'ssh', 'monitor', 'batch', 'admin'];
  const APPS = 90;
  const SHARED = 100;
  const NAT_EVERY = 9;
  const LONG = 'tenant-b-shared-infrastructure-platform-services-';
  let console_: RunningConsole;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  /** 90 applications of 10 tiered groups in one project (a NAT server with pair 0.0.0.0/0 in every ninth one's ssh), 100 long-named lone groups in another. */
  function cloud(): Snapshot {
    const ports = [];
    const rules = [];
    const groups: string[] = [];
    for (let a = 0; a < APPS; a++) {
      const g = (t: string) => `${t}-${a}`;
      groups.push(...TIERS.map(g));
      const ref = (tier: string, remote: string, p: number) => rule(`r-${tier}-${remote}-${a}`, g(tier), { port_range_min: p, port_range_max: p, remote_group_id: g(remote) });
      rules.push(ref('web', 'lb', 80), ref('app', 'web', 8080), ref('db', 'app', 5432), ref('ssh', 'admin', 22), ...TIERS.filter((t) => t !== 'ssh').map((t) => ref(t, 'ssh', 22)));
      TIERS.forEach((t, i) => {
        for (let k = 0; k < 3; k++) ports.push(port(`${t}-${a}-${k}`, [`10.${a}.${i}.${k + 2}`], [g(t)]));
      });
      if (a % NAT_EVERY === 0) ports.push(port(`nat-${a}`, [`10.${a}.99.2`], [g('ssh')], ['0.0.0.0/0']));
    }
    for (let i = 0; i < SHARED; i++) {
      groups.push(`${LONG}${i}`);
      ports.push(port(`shared-${i}`, [`10.200.${i}.2`], [`${LONG}${i}`]));
    }
    const s = snapshot(ports, groups, rules);
    s.subnets[0].cidr = '10.0.0.0/8';
    for (const g of s.security_groups) if (g.id.startsWith(LONG)) g.project_id = 'tenant-b';
    return s;
  }

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portsec-console-large-'));
    writeFileSync(join(dir, 'cloud.json'), JSON.stringify(cloud()));
    console_ = await startConsole(['--from', join(dir, 'cloud.json')]);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    problems = watch(page);
    await page.goto(console_.url);
    await page.waitForFunction(() => performance.getEntriesByName('portsec:graph').length > 0, null, { timeout: 60_000 });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await console_?.stop();
  });

  test('the first view: the two projects open, their clusters labelled with a name, counts and the worst severity; no group drawn yet', async () => {
    const nodes = await page.evaluate(() => window.portsecGraph!.nodes().map((n) => ({ ref: String(n.data('ref')), label: String(n.data('label')), parent: n.parent().data('ref') as string | undefined })));
    expect(nodes.filter((n) => n.ref.startsWith('group:'))).toEqual([]);
    expect(nodes.filter((n) => n.ref.startsWith('project:')).map((n) => n.ref)).toEqual(['project:p', 'project:tenant-b']);
    const clusters = nodes.filter((n) => n.ref.startsWith('cluster:'));
    expect(clusters).toHaveLength(APPS + 1);
    for (const c of clusters) expect(c.label).toMatch(/^\S.*\n\d+ groups · [\d,]+ ports(\n⚠ \w+ · \d+ findings?)?$/);
    // an application's cluster is named by its hub (ssh, which every tier admits from), the NAT servers' marked critical
    const apps = clusters.filter((c) => c.parent === 'project:p');
    expect(apps.map((c) => c.label.split('\n')[0])).toEqual(Array.from({ length: APPS }, (_, a) => `ssh-${a} +9`));
    expect(apps.filter((c) => c.label.includes('⚠ critical'))).toHaveLength(APPS / NAT_EVERY);
    expect(clusters.filter((c) => c.parent === 'project:tenant-b').map((c) => c.label)).toEqual([`groups without references\n${SHARED} groups · ${SHARED} ports`]);
    await page.screenshot({ path: join(ARTIFACTS, 'console-1000.png') });
  });

  test('root causes first: one per NAT server beside the graph and in the Findings tab, the findings that follow from each folded under it', async () => {
    const findings = (await (await fetch(`${console_.origin}/analysis/v1/findings`, { headers: { 'X-Auth-Token': console_.token } })).json()).findings as Finding[];
    const nats = APPS / NAT_EVERY;
    const side = page.getByRole('complementary', { name: 'Findings on the graph' });
    await side.locator('.cause').first().waitFor();
    const beside = await side.locator('.cause').evaluateAll((cs) => cs.map((c) => c.querySelector('h3')?.textContent ?? ''));
    expect(beside).toHaveLength(nats);
    expect(beside.every((t) => /^critical nat-\d+'s allowed-address pair 0\.0\.0\.0\/0/.test(t))).toBe(true);
    await page.getByRole('tab', { name: /Findings/ }).click();
    const summary = await page.locator('.findings-view .summary').textContent();
    const causes = page.locator('.findings-view .cause');
    const shown = await causes.evaluateAll((cs) => cs.map((c) => [(c as HTMLElement).querySelector('article')!.dataset.check, Number((c as HTMLElement).dataset.count)]));
    // each NAT server's pair, with the admin ports it opens to the Internet (a rule naming ssh each) folded under it
    expect(shown.slice(0, nats)).toEqual(Array(nats).fill(['wide-pair-in-remote-group', TIERS.length]));
    expect(summary).toMatch(new RegExp(`^${shown.length} root causes of ${findings.length} findings:`));
    expect(shown.length).toBeLessThan(findings.length / 5);
    // every finding is under exactly one cause
    expect(shown.reduce((n, [, count]) => n + (count as number), 0)).toBe(findings.length);
    await page.getByRole('tab', { name: 'Graph' }).click();
  });

  test('a cluster opens when selected: its groups drawn inside it, with the references between them', async () => {
    await page.evaluate(() => {
      window.portsecGraph!.nodes().filter((n) => n.data('ref') === 'cluster:p/ssh-0' || String(n.data('label')).startsWith('ssh-0 +9')).emit('tap');
    });
    await page.getByRole('heading', { name: 'Cluster ssh-0 and 9 more' }).waitFor();
    await expect.poll(() => page.evaluate(() => window.portsecGraph!.nodes('.group').map((n) => String(n.data('label')).split('\n')[0].replace(/^⚠ /, '')).sort()))
      .toEqual(TIERS.map((t) => `${t}-0`).sort());
    const edges = await page.evaluate(() => window.portsecGraph!.edges().map((e) => ({ classes: e.classes(), label: e.style('label') as string })));
    expect(edges).toHaveLength(13);
    // thirteen references: labelled only when selected or hovered; the ones through the NAT server's pair marked
    expect(edges.every((e) => e.classes.includes('quiet') && e.label === '')).toBe(true);
    expect(edges.filter((e) => e.classes.includes('through-finding'))).toHaveLength(9);
  });

  test('long names sharing a prefix stay apart in the list and the graph, the full name on hover', async () => {
    await page.getByLabel('Find a group').fill(LONG);
    const items = page.getByRole('navigation', { name: 'Security groups' }).locator('.item .name');
    await expect.poll(() => items.count()).toBe(50);
    const listed = await items.evaluateAll((es) => es.map((e) => [e.textContent, e.getAttribute('title')]));
    expect(new Set(listed.map(([text]) => text)).size).toBe(listed.length);
    for (const [text, title] of listed) {
      expect(title).toMatch(new RegExp(`^${LONG}\\d+$`));
      expect(text!.length).toBeLessThanOrEqual(20);
      expect(text!.endsWith(title!.slice(-5))).toBe(true);
    }
    await items.first().click();
    await page.getByRole('heading', { name: `Group ${listed[0][1]}` }).waitFor();
    const labels = await page.evaluate((long) => window.portsecGraph!.nodes('.group').filter((n) => String(n.data('title')).includes(long))
      .map((n) => String(n.data('label')).split('\n')[0]), LONG);
    expect(labels).toHaveLength(SHARED);
    expect(new Set(labels).size).toBe(SHARED);
    expect(problems).toEqual([]);
  });
});
