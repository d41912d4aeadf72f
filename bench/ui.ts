/**
 * bench/ui: how long the web console takes to become interactive on a cloud of
 * 1,000 security groups and 10,000 ports, in headless Chromium (Debian's, driven
 * by playwright-core).
 *
 * The cloud is created through the API (bulk creates) on an in-process server
 * with its own database: 100 applications of 10 groups (lb, web, app, db, cache,
 * queue, ssh, monitor, batch, admin) with their remote-group references (tiers,
 * ssh and monitoring into every tier, self-references for peers), 100 ports per
 * application, a fifth of them in two groups, keepalived-style /32 pairs on the
 * load balancers, a /28 pair now and then, and in every tenth application a NAT
 * server with pair 0.0.0.0/0 in its ssh group: the seed's pitfall, ten times.
 *
 * Each run opens a fresh page logged in (the session put into sessionStorage
 * first), and records, from navigation start: the data loaded (Neutron's lists
 * and the analyzer's findings), the graph laid out and drawn, and a click on a
 * node of the first view (a cluster of groups, above 400 groups; else a group)
 * answered (its details painted). "Interactive" is the last one, counted from
 * the data loaded and from navigation. Also printed: the first view's labelled
 * clusters and the root causes listed beside the graph.
 *
 *   npm run bench:ui [-- --groups 1000 --ports 10000 --runs 3]
 */
import type { Core } from 'cytoscape';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { Accounts } from '../src/api/identity.js';
import { buildServer } from '../src/api/server.js';
import { liftQuotas } from '../src/lab/client.js';
import { SqliteStore } from '../src/store/sqlite/store.js';

declare global {
  interface Window {
    portsecGraph?: Core;
  }
}

const { values } = parseArgs({ options: {
  groups: { type: 'string', default: '1000' },
  ports: { type: 'string', default: '10000' },
  runs: { type: 'string', default: '3' },
} });
const TIERS = ['lb', 'web', 'app', 'db', 'cache', 'queue', 'ssh', 'monitor', 'batch', 'admin'];
const APPS = Math.ceil(Number(values.groups) / TIERS.length);
const PORTS_PER_APP = Math.ceil(Number(values.ports) / APPS);
const RUNS = Number(values.runs);
const TARGET_MS = 2000;

type Call = (method: string, path: string, body?: unknown) => Promise<any>;

/** [tier, remote tier, protocol, port]: ingress rules naming a remote group; one per line. */
const REFERENCES: [string, string, string, number][] = [
  ['web', 'lb', 'tcp', 80], ['app', 'web', 'tcp', 8080], ['db', 'app', 'tcp', 5432], ['db', 'db', 'tcp', 5432],
  ['cache', 'app', 'tcp', 6379], ['queue', 'app', 'tcp', 5672], ['queue', 'batch', 'tcp', 5672], ['lb', 'lb', 'vrrp', 0],
  ...TIERS.filter((t) => t !== 'ssh').map((t): [string, string, string, number] => [t, 'ssh', 'tcp', 22]),
  ...TIERS.filter((t) => t !== 'monitor').map((t): [string, string, string, number] => [t, 'monitor', 'tcp', 9100]),
  ['ssh', 'admin', 'tcp', 22],
];

async function seed(call: Call): Promise<void> {
  // the whole cloud in one project, far over Neutron's default quotas: its admin lifts them, as an operator would
  await liftQuotas(call);
  const bulk = async (collection: string, key: string, items: unknown[]) => {
    const out: { id: string }[] = [];
    for (let i = 0; i < items.length; i += 500) out.push(...(await call('POST', collection, { [key]: items.slice(i, i + 500) }))[key]);
    return out.map((o) => o.id);
  };
  const nets = await bulk('networks', 'networks', Array.from({ length: APPS }, (_, a) => ({ name: `app${a}` })));
  const subnets = await bulk('subnets', 'subnets', nets.map((network_id, a) => ({
    network_id, name: `app${a}`, ip_version: 4, cidr: `10.${Math.floor(a / 200)}.${a % 200}.0/24`,
  })));
  const groups = await bulk('security-groups', 'security_groups', Array.from({ length: APPS * TIERS.length }, (_, i) => ({
    name: `${TIERS[i % TIERS.length]}-${Math.floor(i / TIERS.length)}`,
  })));
  const group = (app: number, tier: string) => groups[app * TIERS.length + TIERS.indexOf(tier)];
  const rules = [];
  for (let a = 0; a < APPS; a++) {
    rules.push({ security_group_id: group(a, 'lb'), direction: 'ingress', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '0.0.0.0/0' });
    rules.push({ security_group_id: group(a, 'admin'), direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '192.0.2.0/24' });
    for (const [tier, remote, protocol, port] of REFERENCES) {
      const range = port ? { port_range_min: port, port_range_max: port } : {};
      rules.push({ security_group_id: group(a, tier), direction: 'ingress', protocol, ...range, remote_group_id: group(a, remote) });
    }
  }
  await bulk('security-group-rules', 'security_group_rules', rules);
  const ports = [];
  for (let a = 0; a < APPS; a++) {
    for (let k = 0; k < PORTS_PER_APP; k++) {
      const tier = TIERS[k % TIERS.length];
      const sgs = [group(a, tier), ...(k % 5 === 1 && tier !== 'monitor' ? [group(a, 'monitor')] : [])];
      const pairs = tier === 'lb' ? [{ ip_address: `10.${Math.floor(a / 200)}.${a % 200}.250` }]
        : tier === 'app' && k % 30 === 2 ? [{ ip_address: `172.16.${a % 250}.0/28` }] : [];
      ports.push({ name: `${tier}-${a}-${k}`, network_id: nets[a], security_groups: sgs, allowed_address_pairs: pairs,
        fixed_ips: [{ subnet_id: subnets[a], ip_address: `10.${Math.floor(a / 200)}.${a % 200}.${k + 2}` }] });
    }
    // the pitfall: a NAT server in ssh with pair 0.0.0.0/0, in every tenth application
    if (a % 10 === 0) ports[ports.length - 1] = { ...ports[ports.length - 1], name: `nat-${a}`, security_groups: [group(a, 'ssh')], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] };
  }
  await bulk('ports', 'ports', ports);
}

interface Run {
  data: number;
  graph: number;
  answered: number;
  nodes: number;
  edges: number;
  /** the first view's clusters, and the root causes beside the graph (with the line saying how many there are) */
  clusters: number;
  causes: number;
  causesText: string;
  /** references drawn on the underlay under cytoscape's canvas (a large graph's) */
  lines: number;
  cpu: number;
}

async function measure(page: Page, url: string, pick: number): Promise<Run> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const cpu0 = (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? 0;
  await page.goto(`${url}/ui`);
  await page.waitForFunction(() => performance.getEntriesByName('portsec:graph').length > 0, null, { timeout: 120_000, polling: 'raf' });
  // what the first view shows beside the graph, before a click replaces it with the selection
  const first = await page.evaluate(() => ({
    clusters: window.portsecGraph!.nodes('.cluster').length,
    causes: document.querySelectorAll('.side .cause').length,
    causesText: document.querySelector('.side .hint')?.textContent ?? '',
  }));
  // click a node of the first view where it is drawn (a cluster, or a group when nothing is clustered); the answer is its details panel
  const at = await page.evaluate((i) => {
    const cy = window.portsecGraph!;
    const nodes = cy.nodes('.cluster.collapsed').nonempty() ? cy.nodes('.cluster.collapsed') : cy.nodes('.group');
    const node = nodes[i % nodes.length];
    const box = cy.container()!.getBoundingClientRect();
    cy.center(node);
    const p = node.renderedPosition();
    return { x: box.left + p.x, y: box.top + p.y };
  }, pick);
  await page.mouse.click(at.x, at.y);
  const answered = await page.waitForFunction(() => (document.querySelector('.side .details h2') ? performance.now() : undefined), null, { polling: 'raf' })
    .then((h) => h.jsonValue() as Promise<number>);
  const cpu1 = (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime')?.value ?? 0;
  const marks = await page.evaluate(() => ({
    data: performance.getEntriesByName('portsec:data')[0].startTime,
    graph: performance.getEntriesByName('portsec:graph')[0].startTime,
    nodes: window.portsecGraph!.nodes().length,
    edges: window.portsecGraph!.edges().length,
    lines: Number(document.querySelector<HTMLCanvasElement>('.graph-canvas > canvas')?.dataset.lines ?? 0),
  }));
  await cdp.detach();
  return { ...marks, ...first, answered, cpu: (cpu1 - cpu0) * 1000 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-bench-ui-'));
  const store = new SqliteStore(join(dir, 'bench.db'));
  const app = buildServer({ store, auth: 'keystone', accounts: new Accounts(undefined, 'admin') });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const login = await fetch(`${url}/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({
      auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'admin' } } } } }) });
    const token = login.headers.get('x-subject-token')!;
    const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
    const call: Call = async (method, path, body) => {
      const res = await fetch(`${url}/v2.0/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const data = await res.json();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
      return data;
    };
    let t = performance.now();
    await seed(call);
    const seeded = performance.now() - t;
    const counts = await Promise.all(['security-groups', 'ports', 'security-group-rules'].map(async (c) => (await call('GET', `${c}?fields=id`))[c.replace(/-/g, '_')].length));
    t = performance.now();
    const findings = (await (await fetch(`${url}/analysis/v1/findings`, { headers })).json()).findings.length;
    const audit = performance.now() - t;
    const session = { token, user: 'admin', project: 'admin', isAdmin: true, expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
    console.log(`bench/ui: ${counts[0]} groups, ${counts[1]} ports, ${counts[2]} rules (seeded through the API in ${(seeded / 1000).toFixed(1)} s); `
      + `${findings} findings (first audit ${audit.toFixed(0)} ms); Chromium ${browser.version()} headless`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript((s) => sessionStorage.setItem('portsec.session', s), JSON.stringify(session));
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await measure(page, url, i * 37);
      runs.push(r);
      console.log(`  run ${i + 1}: navigation → data ${r.data.toFixed(0)} ms → graph drawn ${r.graph.toFixed(0)} ms → click answered ${r.answered.toFixed(0)} ms; `
        + `data → interactive ${(r.answered - r.data).toFixed(0)} ms; ${r.nodes} nodes (${r.clusters} labelled clusters), ${r.edges} edges and ${r.lines} underlay lines drawn; `
        + `beside the graph: ${r.causes} root-cause cards ("${r.causesText}"); renderer main-thread CPU ${r.cpu.toFixed(0)} ms; `
        + `load average ${loadavg()[0].toFixed(2)}`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const verdict = (ms: number) => `${ms.toFixed(0)} ms (target ≤ ${TARGET_MS} ms: ${ms <= TARGET_MS ? 'met' : 'missed'})`;
    console.log(`  median: data loaded → interactive ${verdict(median(runs.map((r) => r.answered - r.data)))}; `
      + `navigation → interactive ${verdict(median(runs.map((r) => r.answered)))}`);
    if (problems.length) console.log(`  console errors: ${problems.join(' | ')}`);
  } finally {
    await browser.close();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
