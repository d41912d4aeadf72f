/**
 * bench/api: requests per second for port GET and port PUT (an allowed-address-pair
 * change) against portsec and against the real neutron-server
 * (Debian's python3-neutron, started fresh by test/support/neutron-server.ts), measured
 * in the same run, with the ratio.
 *
 *   node dist/bench/api.js [--seconds 10] [--concurrency 4]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startNeutronServer } from '../test/support/neutron-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '4' } } });
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const HEADERS = { 'X-User-Id': 'bench', 'X-Project-Id': 'bench-project', 'X-Roles': 'member', 'Content-Type': 'application/json' };

async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function setup(url: string): Promise<string> {
  const net = (await call(url, 'POST', '/v2.0/networks', { network: { name: 'bench' } })).network.id;
  await call(url, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.77.0.0/24', ip_version: 4 } });
  return (await call(url, 'POST', '/v2.0/ports', { port: { network_id: net, name: 'bench-port' } })).port.id;
}

/** Runs `op` from CONCURRENCY loops for SECONDS; returns completed requests per second. */
async function rate(op: (i: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + SECONDS * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = w; performance.now() < end; i += CONCURRENCY) {
      await op(i);
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

async function measure(url: string): Promise<{ get: number; put: number }> {
  const port = await setup(url);
  const pairs = (i: number) => [{ ip_address: `10.77.1.${i % 200}` }, { ip_address: '10.77.2.0/24' }];
  const get = await rate(() => call(url, 'GET', `/v2.0/ports/${port}`));
  const put = await rate((i) => call(url, 'PUT', `/v2.0/ports/${port}`, { port: { allowed_address_pairs: pairs(i) } }));
  return { get, put };
}

async function portsec(): Promise<{ get: number; put: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-bench-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'serve', '--auth', 'trusted-headers', '--agents', 'off', '--listen', '127.0.0.1:0', '--db', join(dir, 'bench.db')]);
  try {
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on('data', (d) => { const m = /serving Neutron at (http:\/\/[^/\s]+)\//.exec(String(d)); if (m) ok(m[1]); });
      child.once('exit', (c) => fail(new Error(`portsec exited ${c}`)));
    });
    return await measure(url);
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function neutron(): Promise<{ get: number; put: number }> {
  const server = await startNeutronServer();
  try {
    return await measure(server.url);
  } finally {
    await server.stop();
  }
}

const ours = await portsec();
const theirs = await neutron();
const row = (name: string, a: number, b: number) => `${name.padEnd(24)} ${a.toFixed(0).padStart(10)} ${b.toFixed(1).padStart(14)} ${(a / b).toFixed(1).padStart(8)}x`;
console.log(`bench/api: ${SECONDS}s per measurement, ${CONCURRENCY} concurrent clients, one port`);
console.log(`${'operation'.padEnd(24)} ${'portsec rps'.padStart(10)} ${'neutron rps'.padStart(14)} ${'ratio'.padStart(9)}`);
console.log(row('GET /v2.0/ports/{id}', ours.get, theirs.get));
console.log(row('PUT port (pair update)', ours.put, theirs.put));
