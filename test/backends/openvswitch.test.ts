/**
 * The openvswitch backend: the conformance suite (test/backend-suite, with OPENVSWITCH:
 * the golden-ovs fixtures, its deltas, ovs-ofctl parsing every state); then what the
 * suite does not cover: its semantics on a pair's prefix, `portsec compile --driver
 * openvswitch`, and the CPython set order the renderer follows, against CPython itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BACKENDS, createBackend } from '../../src/backends/index.js';
import { PySet } from '../../src/backends/openvswitch/python-set.js';
import { parseTopology } from '../../src/policy/topology.js';
import { backendSuite } from '../backend-suite/index.js';
import { load } from '../backend-suite/fixtures.js';
import { CLI } from '../support/server.js';
import { OPENVSWITCH } from './openvswitch.js';

backendSuite(OPENVSWITCH);

const read = (f: string) => load(OPENVSWITCH, f) as { input: Record<string, unknown>; initial: { flows: string[] }; final: { flows: string[] } | null };
const flowsOf = (input: Record<string, unknown>): string[] => createBackend('openvswitch', parseTopology(input)).state.flows;

describe('the backend', () => {
  const blog = read('sample-b_blog_nat_ipset.json');

  test('refuses a topology of another backend', () => {
    expect(() => createBackend('openvswitch', parseTopology({ options: { driver: 'ovs_hybrid' } }))).toThrow('backend iptables_hybrid is not the openvswitch firewall');
  });

  test('a /0 member is pinned to its MAC, the /1 halves are not', () => {
    const flows = flowsOf(blog.input).filter((f) => f.includes('conjunction(') && f.includes(',1/2)'));
    expect(flows.some((f) => f.includes('nw_src=0.0.0.0/0,dl_src=fa:16:3e:00:00:10,'))).toBe(true);
    const split = JSON.parse(JSON.stringify(blog.input));
    split.ports[0].allowed_address_pairs = [{ ip_address: '0.0.0.0/1' }, { ip_address: '128.0.0.0/1' }];
    const halves = flowsOf(split).filter((f) => f.includes('nw_src=0.0.0.0/1') || f.includes('nw_src=128.0.0.0/1'));
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
