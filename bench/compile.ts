/**
 * bench/compile: portsec's compiler against Neutron's real iptables driver
 * (bench/neutron_bench.py, through test/golden's harness) on the same synthetic compute nodes, in
 * the same run: the initial compile of 100, 1,000 and 3,000 ports (ipset on),
 * and at 1,000 ports one allowed-address-pair change and one membership change
 * turned into their deltas.
 *
 * The compiler runs inside portsec's long-lived agent, so the initial compile is
 * timed once the JIT has settled: after compiling the same node for --warmup-ms
 * (and at least 10 times). Neutron's driver is interpreted Python, the same on
 * every run. How long a one-off `portsec compile` process takes, Node's start
 * and a cold JIT included, is printed beside it. Run it with the portsec
 * command's Node flags (its shebang: a 64 MB young generation), as
 * `npm run bench:compile` does.
 *
 *   node --max-semi-space-size=64 dist/bench/compile.js [--sizes 100,1000,3000] [--runs 5] [--warmup-ms 3000]
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { iptablesPayload, ipsetPayloads } from '../src/backends/iptables/delta.js';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { writeRestorePayloads } from '../src/backends/iptables/golden-json.js';
import { ChunkWriter } from '../src/backends/iptables/state.js';
import { type Event, parseEvent } from '../src/policy/events.js';
import { parseTopology } from '../src/policy/topology.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NEUTRON_BENCH = join(ROOT, 'bench/neutron_bench.py');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '100,1000,3000' }, runs: { type: 'string', default: '5' }, 'warmup-ms': { type: 'string', default: '3000' },
} });
const SIZES = values.sizes!.split(',').map(Number);
const RUNS = Number(values.runs);
const WARMUP_MS = Number(values['warmup-ms']);
const UPDATES_AT = 1000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

const tmp = mkdtempSync(join(tmpdir(), 'portsec-bench-compile-'));
function synthetic(n: number): { file: string; input: Record<string, any> } {
  const file = join(tmp, `node-${n}.json`);
  execFileSync('/usr/bin/python3', [NEUTRON_BENCH, '--sizes', String(n), '--ipset', 'on', '--write-input', file]);
  return { file, input: JSON.parse(readFileSync(file, 'utf8')) };
}

/** Parse, compile and render the full payloads, handing each chunk to `emit`, as `portsec compile --format iptables` does. */
function fullCompile(input: Record<string, any>, emit: (chunk: string) => void): void {
  writeRestorePayloads(new NodeCompiler(parseTopology(input)), new ChunkWriter(emit));
}

const devNull = openSync('/dev/null', 'w');
/** Where the timed compiles write: what the CLI's stdout costs, with nothing kept. */
const discard = (chunk: string) => void writeSync(devNull, chunk);

function payloadLines(input: Record<string, any>): number {
  let lines = 0;
  fullCompile(input, (c) => {
    for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) lines++;
  });
  return lines;
}

/** One `portsec compile` process, start to exit, its output to /dev/null. */
function cliRun(file: string): number {
  const out = openSync('/dev/null', 'w');
  try {
    return timeIt(() => execFileSync(process.execPath, [CLI, 'compile', '--topology', file, '--format', 'iptables'], { stdio: ['ignore', out, 'inherit'] }));
  } finally {
    closeSync(out);
  }
}

/** The same two changes neutron_bench.py makes: port 1 gains pair 203.0.113.7; a remote port joins sg0. */
function updates(input: Record<string, any>): Record<'aap' | 'member', { ms: number; payload: string }> {
  const pair: Event = { op: 'update_port', port: { ...input.ports[1], allowed_address_pairs: [...input.ports[1].allowed_address_pairs, { ip_address: '203.0.113.7' }] } };
  const joiner: Event = {
    op: 'add_port',
    port: {
      id: 'ffff0000-ee00-4000-8000-000000000001', network_id: input.ports[0].network_id, mac_address: 'fa:16:3e:ff:00:01', local: false,
      fixed_ips: [{ ip_address: '10.200.0.1' }], allowed_address_pairs: [], security_groups: [input.security_groups[0].id], port_security_enabled: true,
    },
  };
  const out = {} as Record<'aap' | 'member', { ms: number; payload: string }>;
  for (const [name, event] of [['aap', pair], ['member', joiner]] as const) {
    const times: number[] = [];
    let payload = '';
    for (let i = 0; i < RUNS * 4; i++) {
      const topology = parseTopology(input);
      const node = new NodeCompiler(topology);
      const e = parseEvent(topology, event);
      times.push(timeIt(() => {
        const d = node.apply(e);
        const ipset = ipsetPayloads(d);
        payload = ipset.before + iptablesPayload(d, 'IPv4') + iptablesPayload(d, 'IPv6') + ipset.after;
      }));
    }
    out[name] = { ms: median(times), payload };
  }
  return out;
}

interface NeutronBench {
  initial: Record<string, { neutron_s: number }>;
  updates: Record<string, { aap_change: { neutron_s: number }; member_change: { neutron_s: number } }>;
}

function neutron(): NeutronBench {
  const out = execFileSync('/usr/bin/python3', [NEUTRON_BENCH, '--sizes', SIZES.join(','), '--ipset', 'on', '--updates-at', String(UPDATES_AT), '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.slice(out.indexOf('\n{') + 1));
}

try {
  const ours = SIZES.map((n) => {
    const { file, input } = synthetic(n);
    const cli = median(Array.from({ length: 3 }, () => cliRun(file)));
    const start = performance.now();
    for (let i = 0; i < 10 || performance.now() - start < WARMUP_MS; i++) fullCompile(input, discard);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(timeIt(() => fullCompile(input, discard)));
    return { n, ms: median(times), cli, lines: payloadLines(input) };
  });
  const upd = updates(synthetic(UPDATES_AT).input);
  const theirs = neutron();
  console.log(`bench/compile: synthetic nodes of neutron_bench.py (20 groups x 5 rules, half remote-group; 1-2 pairs per port), ipset on, driver linuxbridge; `
    + `median of ${RUNS} after ${WARMUP_MS / 1000} s of warm-up compiles; node ${process.execArgv.join(' ') || '(no flags: not as the portsec command runs)'}`);
  console.log('initial compile          portsec ms   payload lines   neutron s     ratio   one-off CLI process ms');
  for (const o of ours) {
    const s = theirs.initial[`${o.n}/on`]?.neutron_s;
    console.log(`  ${String(o.n).padStart(5)} ports          ${o.ms.toFixed(1).padStart(9)} ${String(o.lines).padStart(15)} ${s?.toFixed(2).padStart(11) ?? '          ?'} `
      + `${s ? `${(s * 1000 / o.ms).toFixed(0).padStart(8)}x` : '         '} ${o.cli.toFixed(0).padStart(24)}`);
  }
  const u = theirs.updates[`${UPDATES_AT}/on`];
  console.log(`change at ${UPDATES_AT} ports        delta ms   payload lines   neutron s     ratio`);
  for (const [label, key, their] of [['pair change', 'aap', u.aap_change.neutron_s], ['membership change', 'member', u.member_change.neutron_s]] as const) {
    const o = upd[key];
    console.log(`  ${label.padEnd(22)} ${o.ms.toFixed(2).padStart(8)} ${String(o.payload.split('\n').filter(Boolean).length).padStart(15)} ${their.toFixed(2).padStart(11)} ${(their * 1000 / o.ms).toFixed(0).padStart(8)}x`);
  }
} finally {
  closeSync(devNull);
  rmSync(tmp, { recursive: true, force: true });
}
