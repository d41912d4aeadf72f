/**
 * The ovn backend: the conformance suite (test/backend-suite, with OVN: the golden-ovn
 * fixtures, its deltas, the Northbound database loading its nbctl format); then what the
 * suite does not cover: what the fixtures reach, cases they rarely reach against
 * Neutron's OVN driver run now, and `portsec compile --driver ovn`.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, createBackend } from '../../src/backends/index.js';
import { type NbRows, rowsJson } from '../../src/backends/ovn/rows.js';
import { parseEvent } from '../../src/policy/events.js';
import { parseTopology, TopologyError } from '../../src/policy/topology.js';
import { backendSuite } from '../backend-suite/index.js';
import { type Fixture, fixtureFiles, load } from '../backend-suite/fixtures.js';
import { loadScript } from '../backend-suite/planes/ovn-nb.js';
import { CLI } from '../support/server.js';
import { OVN } from './ovn.js';

backendSuite(OVN);

const files = fixtureFiles(OVN);
const read = (f: string) => load(OVN, f) as Fixture & { initial: NbRows; final: NbRows | null };

const tmp = mkdtempSync(join(tmpdir(), 'portsec-ovn-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const compile = (...args: string[]) => spawnSync(process.execPath, [CLI, 'compile', ...args], { encoding: 'utf8' });
function inputFile(input: unknown): string {
  const file = join(tmp, `in-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(input));
  return file;
}

describe('the ovn backend', () => {
  it('the fixtures reach what the random topologies may not: a VIP\'s port made virtual, stateless groups, pair MAC spellings', () => {
    const all = files.map((f) => JSON.stringify(read(f).initial, null, 1)).join('\n');
    for (const seen of ['"type": "virtual"', '"unknown"', 'allow-stateless', 'ip.proto == ', 'icmp4.code == ', '$pg_']) expect(all).toContain(seen);
  });

  it('a delta\'s summary counts the rows it writes or deletes, per table', () => {
    const f = files.find((name) => read(name).final && JSON.stringify(read(name).final) !== JSON.stringify(read(name).initial))!;
    const { events = [], ...input } = read(f).input;
    const nb = createBackend('ovn', parseTopology(input));
    for (const e of events) {
      const d = nb.apply(parseEvent(nb.engine.topology, e));
      const n = (t: keyof typeof d) => d[t].set.length + d[t].remove.length;
      expect(BACKENDS.ovn.summary(d)).toBe(`${n('logical_switch_ports')} logical switch ports, ${n('port_groups')} port groups, ${n('address_sets')} address sets`);
    }
  });

  it('refuses a topology of another backend, and agent states it does not have', () => {
    const input = { security_groups: [], ports: [] };
    expect(() => createBackend('ovn', parseTopology(input))).toThrow(TopologyError);
    expect(() => createBackend('ovn', parseTopology({ ...input, options: { driver: 'ovn' } }), 'neutron-21')).toThrow(/agent state/);
    expect(BACKENDS.ovn.agentStates).toEqual(['ideal']);
  });

  it('matches protocols by number: names as neutron-lib numbers them, 0 only itself', () => {
    const m = BACKENDS.ovn.matchedProtocol;
    expect([m(null), m('tcp'), m('6'), m(' 06 '), m('icmpv6'), m('ipip'), m('ip'), m('0'), m('dccp')]).toEqual([null, 6, 6, 6, 58, 4, 0, 0, 33]);
  });
});

/**
 * What the fixtures reach rarely or never (no fixture tells whether a VIP's port keeps the
 * fixed IPs after the VIP in `addresses`, or whether a trusted port joins its groups): a VIP
 * port with more fixed IPs after the VIP, a trusted port in a group, the metadata port, a
 * floating IP's port, a pair on the port's MAC spelt in capitals, rules alike after the
 * API's conversion, dccp/udplite port ranges, ICMP type and code, a rule id past ASCII.
 */
const EDGE_GROUP = '5e000000-0000-4000-8000-000000000001';
const EDGE = {
  options: { driver: 'ovn' },
  security_groups: [{
    id: EDGE_GROUP,
    security_group_rules: [
      { id: 'proto-0', direction: 'ingress', protocol: '0' },
      { id: 'dccp-range', direction: 'ingress', protocol: 'dccp', port_range_min: 10, port_range_max: 20 },
      { id: 'echo-règle-😀', direction: 'ingress', protocol: 'icmp', port_range_min: 8, port_range_max: 0 },
      { id: 'udplite-port', direction: 'ingress', protocol: 'udplite', port_range_min: 5, port_range_max: 5 },
      { id: 'echo6-out', direction: 'egress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128 },
      { id: 'tcp-all-ports', direction: 'ingress', protocol: 'tcp', port_range_min: 1, port_range_max: 65535 },
      { id: 'proto-ip', direction: 'ingress', protocol: 'ip' },
      { id: 'sctp-net', direction: 'ingress', protocol: 'sctp', port_range_min: 100, port_range_max: 200, remote_ip_prefix: '10.1.2.3/16' },
    ],
  }],
  ports: [
    { id: 'p1', network_id: 'n1', mac_address: 'fa:16:3e:00:00:01', fixed_ips: ['10.0.0.1'], security_groups: [EDGE_GROUP],
      allowed_address_pairs: [{ ip_address: '10.0.0.5', mac_address: 'FA:16:3E:00:00:01' }, { ip_address: '10.0.0.6', mac_address: 'fa:16:3e:00:00:01' }] },
    { id: 'p2', network_id: 'n1', mac_address: 'fa:16:3e:00:00:02', fixed_ips: ['10.0.0.7', '10.0.0.5', '10.0.0.8'], security_groups: [EDGE_GROUP] },
    { id: 'p3', network_id: 'n1', mac_address: 'fa:16:3e:00:00:03', fixed_ips: ['10.0.0.9'], device_owner: 'network:router_interface', security_groups: [EDGE_GROUP] },
    { id: 'p4', network_id: 'n1', mac_address: 'fa:16:3e:00:00:04', fixed_ips: ['10.0.0.10'], device_owner: 'network:distributed' },
    { id: 'p5', network_id: 'n1', mac_address: 'fa:16:3e:00:00:05', fixed_ips: ['10.0.0.11'], device_owner: 'network:floatingip' },
    { id: 'p6', network_id: 'n2', mac_address: 'fa:16:3e:00:00:06', fixed_ips: ['10.0.0.5'], port_security_enabled: false },
    { id: 'p7', network_id: 'n1', mac_address: 'fa:16:3e:00:00:07', fixed_ips: [], security_groups: [EDGE_GROUP] },
  ],
};

describe('ovn on what the fixtures rarely reach, against Neutron\'s OVN driver run now', () => {
  it('equals test/golden/neutron_ovn_driver.py byte for byte', async () => {
    const file = inputFile(EDGE);
    const neutron = await promisify(execFile)('/usr/bin/python3', [join(import.meta.dirname, '../golden/neutron_ovn_driver.py'), file]);
    const ours = compile('--topology', file);
    expect(ours.status).toBe(0);
    expect(ours.stdout).toBe(neutron.stdout);
    const rows: NbRows = JSON.parse(ours.stdout);
    const lsp = (name: string) => rows.logical_switch_ports.find((l) => l.name === name);
    // the VIP's port: virtual, its addresses stop at the VIP; p1's pair in capitals is another MAC to Neutron
    expect(lsp('p2')).toMatchObject({ type: 'virtual', addresses: ['fa:16:3e:00:00:02 10.0.0.7 10.0.0.5'] });
    expect(lsp('p1')!.port_security).toContain('FA:16:3E:00:00:01 10.0.0.5');
    expect(lsp('p4')!.type).toBe('localport');
    expect(lsp('p5')).toBeUndefined();
    expect(rows.port_groups.find((g) => g.name !== 'neutron_pg_drop')!.ports).toEqual(['p1', 'p2', 'p7']);
  }, 60_000);
});

describe('portsec compile --driver ovn', () => {
  const samples = files.filter((f) => f.startsWith('sample-'));

  it('prints the fixture\'s rows for its input (options.driver "ovn"), and --driver ovn overrides an iptables file', () => {
    const fx = read('sample-c_keepalived_vip.json');
    const r = compile('--topology', inputFile(fx.input));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(rowsJson(fx.initial));
    const iptablesInput = { ...fx.input, options: { driver: 'ovs_hybrid', enable_ipset: false } };
    const again = compile('--topology', inputFile(iptablesInput), '--driver', 'ovn');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(rowsJson(fx.initial));
  });

  it('follows the file\'s events: the end topology\'s rows', () => {
    const f = samples.find((name) => read(name).final)!;
    const r = compile('--topology', inputFile(read(f).input), '--driver', 'ovn', '--format', 'nb-json');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(rowsJson(read(f).final!));
  });

  it('bad input: one line naming the object, exit 2; so is a format or agent state ovn does not have', () => {
    const bad = compile('--topology', inputFile({ options: { driver: 'ovn' }, security_groups: [{ id: 'g1', security_group_rules: [{ direction: 'ingress', remote_group_id: 'nope' }] }], ports: [] }));
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe('portsec: security group g1 rule g1-rule-0: unknown remote group nope\n');
    const file = inputFile(read('sample-a_default_sg.json').input);
    const format = compile('--topology', file, '--format', 'golden-json');
    expect(format.status).toBe(2);
    expect(format.stderr).toBe('portsec: --format golden-json: the ovn backend has nb-json, nbctl\n');
    const state = compile('--topology', file, '--agent-state', 'neutron-21');
    expect(state.status).toBe(2);
    expect(state.stderr).toBe('portsec: --agent-state neutron-21: the ovn backend has ideal\n');
  });

  it('--format nbctl via the CLI loads into a fresh Northbound database and reads back as the rows (a sample; the edge cases)', async () => {
    const sample = read('sample-h_address_spellings.json');
    const cli = compile('--topology', inputFile(sample.input), '--format', 'nbctl');
    expect(cli.status).toBe(0);
    expect(await loadScript(cli.stdout)).toEqual(sample.initial);
    // the edge cases (trusted, localport, a rule id past ASCII), whose rows the test above holds against Neutron's
    const edge = inputFile(EDGE);
    expect(await loadScript(compile('--topology', edge, '--format', 'nbctl').stdout)).toEqual(JSON.parse(compile('--topology', edge).stdout));
  }, 60_000);
});
