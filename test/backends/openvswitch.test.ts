/**
 * The openvswitch backend against Neutron 21's OVSFirewallDriver: every golden-ovs fixture's
 * flows (test/fixtures/golden-ovs, written by test/golden/neutron_ovs_driver.py), the initial
 * sync and, with events, the fresh sync of the end topology; `portsec compile --driver
 * openvswitch`; Debian's ovs-ofctl parsing every node's flows; and the CPython set order the
 * renderer follows, against CPython itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BACKENDS, createBackend } from '../../src/backends/index.js';
import { type OvsNode } from '../../src/backends/openvswitch/backend.js';
import { PySet } from '../../src/backends/openvswitch/python-set.js';
import { type Event, parseEvent } from '../../src/policy/events.js';
import { parseTopology } from '../../src/policy/topology.js';
import { CLI } from '../support/server.js';

const dir = join(import.meta.dirname, '../fixtures/golden-ovs');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

interface Fixture {
  input: Record<string, unknown> & { events?: Event[] };
  initial: { flows: string[] };
  final: { flows: string[] } | null;
}

const read = (f: string): Fixture => JSON.parse(readFileSync(join(dir, f), 'utf8'));

/** The node after the input's initial sync, then after each event (a fresh sync each: `ideal`). */
function node(input: Fixture['input']): { initial: string[]; final: string[] } {
  const { events = [], ...rest } = input;
  const n = createBackend('openvswitch', parseTopology(rest)) as OvsNode;
  const initial = n.state.flows;
  for (const e of events) n.apply(parseEvent(n.engine.topology, e));
  return { initial, final: n.state.flows };
}

const equal = { initial: 0, final: 0, finals: 0 };

describe('golden-ovs: the flows Neutron 21\'s OVSFirewallDriver leaves on br-int', () => {
  test('there are the 216 fixtures (200 random, 16 samples)', () => {
    expect(files.length).toBe(216);
  });
  test.each(files)('%s', (f) => {
    const fx = read(f);
    const got = node(fx.input);
    expect(got.initial).toEqual(fx.initial.flows);
    equal.initial++;
    if (fx.final) {
      equal.finals++;
      expect(got.final).toEqual(fx.final.flows);
      equal.final++;
    }
  });
  afterAll(() => {
    console.log(`golden-ovs: initial ${equal.initial}/${files.length} equal, final ${equal.final}/${equal.finals} equal`);
  });
});

describe('the backend', () => {
  const blog = read('sample-b_blog_nat_ipset.json');

  test('an event\'s delta takes the flows before it to the flows after it', () => {
    const fx = read('sample-f_events_linuxbridge.json');
    const { events = [], ...rest } = fx.input;
    const n = createBackend('openvswitch', parseTopology(rest)) as OvsNode;
    let flows = new Set(n.state.flows);
    for (const e of events) {
      const d = n.apply(parseEvent(n.engine.topology, e));
      for (const f of d.remove) flows.delete(f);
      flows = new Set([...flows, ...d.add]);
      expect([...flows].sort()).toEqual([...n.state.flows].sort());
    }
    expect(n.state.flows).toEqual(fx.final!.flows);
  });

  test('refuses a topology of another backend', () => {
    expect(() => createBackend('openvswitch', parseTopology({ options: { driver: 'ovs_hybrid' } }))).toThrow('backend iptables_hybrid is not the openvswitch firewall');
  });

  test('a /0 member is pinned to its MAC, the /1 halves are not', () => {
    const flows = node(blog.input).initial.filter((f) => f.includes('conjunction(') && f.includes(',1/2)'));
    expect(flows.some((f) => f.includes('nw_src=0.0.0.0/0,dl_src=fa:16:3e:00:00:10,'))).toBe(true);
    const split = JSON.parse(JSON.stringify(blog.input));
    split.ports[0].allowed_address_pairs = [{ ip_address: '0.0.0.0/1' }, { ip_address: '128.0.0.0/1' }];
    const halves = node(split).initial.filter((f) => f.includes('nw_src=0.0.0.0/1') || f.includes('nw_src=128.0.0.0/1'));
    expect(halves.filter((f) => f.includes('conjunction(')).length).toBe(4);
    expect(halves.some((f) => f.includes('table=82') && f.includes('dl_src='))).toBe(false);
  });

  test('matchedProtocol: the API\'s protocol as nw_proto matches it (ip is protocol 0 only)', () => {
    const m = BACKENDS.openvswitch.matchedProtocol;
    expect([m(null), m('tcp'), m('ip'), m('hopopt'), m('58'), m('ipip'), m('icmpv6')]).toEqual([null, 6, 0, 0, 58, 4, 58]);
  });
});

describe('portsec compile --driver openvswitch', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'portsec-ovs-cli-'));
  const compile = (...args: string[]) => spawnSync(process.execPath, [CLI, 'compile', ...args], { encoding: 'utf8' });
  // the iptables sample's own input (options.driver linuxbridge): --driver picks the OVS firewall
  const golden = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/golden/sample-b_blog_nat_ipset.json'), 'utf8'));
  const file = join(tmp, 'blog.json');
  writeFileSync(file, JSON.stringify(golden.input));
  const ovs = read('sample-b_blog_nat_ipset.json');

  test('prints the flows as ovs-ofctl add-flows lines with the agent\'s cookie', () => {
    const r = compile('--topology', file, '--driver', 'openvswitch');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(ovs.initial.flows.map((f) => `${f.replace(',actions=', ',cookie=4096,actions=')}\n`).join(''));
  });

  test('--format golden-json prints the fixture\'s field; a file saying driver openvswitch needs no flag; events end in a fresh sync', () => {
    const r = compile('--topology', file, '--driver', 'openvswitch', '--format', 'golden-json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(ovs.initial);
    const events = read('sample-f_events_ovs_hybrid.json');
    const eventsFile = join(tmp, 'events.json');
    writeFileSync(eventsFile, JSON.stringify(events.input));
    const e = compile('--topology', eventsFile, '--format', 'golden-json');
    expect(e.status).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual(events.final);
  });

  test('an option the backend does not have: one line, exit status 2', () => {
    for (const [args, message] of [
      [['--format', 'iptables'], 'portsec: --format iptables: the openvswitch backend has flows, golden-json\n'],
      [['--agent-state', 'neutron-21'], 'portsec: --agent-state neutron-21: the openvswitch backend has ideal\n'],
    ] as const) {
      const r = compile('--topology', file, '--driver', 'openvswitch', ...args);
      expect([r.status, r.stdout, r.stderr]).toEqual([2, '', message]);
    }
  });
});

describe('ovs-ofctl reads the flows', () => {
  // Neutron writes a pair's MAC as the API stored it: a spelling Open vSwitch does not read
  // (fa16.3e00.0005, FA-16-3E-00-00-05) makes ovs-ofctl refuse the port's batch, on a real node too
  const refused = new Set(['sample-h_address_spellings.json', 'sample-h_address_spellings_noipset.json']);
  const tmp = mkdtempSync(join(tmpdir(), 'portsec-ovs-parse-'));
  test.each(files)('%s', (f) => {
    const file = join(tmp, 'flows.txt');
    const n = createBackend('openvswitch', parseTopology(read(f).input)) as OvsNode;
    BACKENDS.openvswitch.formats.flows.write(n, (text) => writeFileSync(file, text));
    const r = spawnSync('ovs-ofctl', ['parse-flows', file], { encoding: 'utf8' });
    if (refused.has(f)) {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/invalid Ethernet address/);
    } else {
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout.match(/^\S*FLOW_MOD.* ADD /gm)?.length).toBe(n.state.flows.length);
    }
  });
});

describe('CPython\'s set order', () => {
  test('PySet iterates as CPython 3.11 does with PYTHONHASHSEED=0 (strings and pairs, copies and unions)', () => {
    // random MACs in both cases and addresses, in sets of 1 to 40 entries
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const mac = () => Array.from({ length: 6 }, () => rand(256).toString(16).padStart(2, '0')).join(':')[rand(2) ? 'toUpperCase' : 'toLowerCase']();
    const cases = Array.from({ length: 200 }, () => ({
      a: Array.from({ length: 1 + rand(40) }, (): [string, string] => [mac(), `10.${rand(256)}.${rand(256)}.${rand(256)}`]),
      b: Array.from({ length: rand(6) }, (): [string, string] => [mac(), `2001:db8::${rand(65536).toString(16)}`]),
    }));
    const script = 'import json,sys\nout=[]\nfor c in json.load(sys.stdin):\n'
      + ' a={tuple(x) for x in c["a"]}; b={tuple(x) for x in c["b"]}; u=a.union(b); m={x[0] for x in u}; m.add("fa:16:3e:00:00:01")\n'
      + ' out.append([[list(x) for x in u], list(m)])\nprint(json.dumps(out))\n';
    const py = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', env: { ...process.env, PYTHONHASHSEED: '0' } });
    expect(py.status).toBe(0);
    const ours = cases.map(({ a, b }) => {
      const u = PySet.of(a).union(PySet.of(b));
      const m = PySet.of([...u].map(([x]) => x));
      m.add('fa:16:3e:00:00:01');
      return [[...u], [...m]];
    });
    expect(ours).toEqual(JSON.parse(py.stdout));
  });
});
