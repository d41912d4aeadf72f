/**
 * A cloud half-way through a migration, analysed port by port. The real neutron-server
 * (Debian python3-neutron 21, ML2/openvswitch) binds ports to hosts whose Open vSwitch agents
 * report ovs_hybrid_plug true (iptables_hybrid) or false (the openvswitch firewall), so the
 * bindings are Neutron's own; the import reads them and GET /v2.0/agents. OVN cannot bind
 * there (no Northbound database), so the OVN half is the same dump with one host's ports bound
 * as Neutron's OVN mechanism driver binds them (its vif_details, read from its own code) and an
 * OVN Controller agent on that host, as a file.
 *
 * The seed's pitfall (nat in ssh with pair 0.0.0.0/0; proxy-* admit tcp/80 from ssh) is present
 * on the hybrid node, pinned to nat's MAC on the openvswitch node, and absent on the OVN node.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Finding } from '../src/analysis/answers.js';
import { type explained } from '../src/analysis/report/explain.js';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { fromCloud } from '../src/analysis/sources/openstack.js';
import { portBackends } from '../src/analysis/sources/port-backends.js';
import { readExposureLines } from './support/exposure-lines.js';
import { type NeutronServer, reportAgent, startNeutronServer } from './support/neutron-server.js';
import { api, as, CLI, SYSTEM_PYTHON } from './support/server.js';

const run = promisify(execFile);
type Explained = ReturnType<typeof explained>;
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
const tmp = mkdtempSync(join(tmpdir(), 'portsec-live-backend-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function portsec(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024, env: ENV });
  return stdout;
}

/** How Neutron 21's OVN mechanism driver binds a port on a chassis (with the name ML2 knows it by), and its agents' type, from its own code. */
function ovnBinding(): { vif_type: string; vif_details: Record<string, unknown>; agent_type: string } {
  const script = `
import json
from importlib.metadata import entry_points
from neutron.plugins.ml2.drivers.ovn.mech_driver.mech_driver import OVNMechanismDriver
from neutron.common.ovn import constants
from neutron_lib.api.definitions import portbindings
d = OVNMechanismDriver.__new__(OVNMechanismDriver)
d.sg_enabled = True
d._setup_vif_port_bindings()
[name] = [e.name for e in entry_points(group='neutron.ml2.mechanism_drivers') if e.value == OVNMechanismDriver.__module__ + ':OVNMechanismDriver']
print(json.dumps({'vif_type': portbindings.VIF_TYPE_OVS, 'vif_details': {**d.vif_details[portbindings.VIF_TYPE_OVS], 'bound_drivers': {'0': name}}, 'agent_type': constants.OVN_CONTROLLER_AGENT}))
`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** An Open vSwitch agent's report_state (ovs_neutron_agent.py's agent_state, the keys binding reads). */
const ovsAgent = (host: string, hybrid: boolean) => ({
  binary: 'neutron-openvswitch-agent', host, topic: 'N/A', agent_type: 'Open vSwitch agent',
  configurations: { ovs_hybrid_plug: hybrid, tunnel_types: ['vxlan'], bridge_mappings: {}, datapath_type: 'system' },
});

const HYBRID = 'bound by openvswitch (binding:vif_details.bound_drivers), ovs_hybrid_plug=true (ML2/OVS, hybrid iptables firewall)';
const OVN = 'bound by ovn (binding:vif_details.bound_drivers): ML2/OVN; OVN Controller agent on host cn-ovn';

describe.sequential('a half-migrated cloud, port by port', () => {
  let neutron: NeutronServer;
  const admin = as('admin', 'admin');
  const ids: Record<string, string> = {};
  let natMac: string;
  let live: Snapshot;
  let summary: string;
  const liveFile = join(tmp, 'live.json');
  const halfFile = join(tmp, 'half.json');

  beforeAll(async () => {
    neutron = await startNeutronServer();
    await reportAgent(neutron, ovsAgent('cn-hybrid', true));
    await reportAgent(neutron, ovsAgent('cn-ovsfw', false));
    const post = async (path: string, body: unknown) => {
      const r = await api(neutron.url, 'POST', `/v2.0/${path}`, admin, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return Object.values(r.body as Record<string, { id: string; mac_address: string }>)[0];
    };
    const net = (await post('networks', { network: { name: 'priv' } })).id;
    await post('subnets', { subnet: { network_id: net, cidr: '10.10.10.0/24', ip_version: 4 } });
    const group = async (name: string, stateful = true) => (ids[name] = (await post('security-groups', { security_group: { name, stateful } })).id);
    const rule = (g: string, r: Record<string, unknown>) => post('security-group-rules', { security_group_rule: { security_group_id: ids[g], direction: 'ingress', ethertype: 'IPv4', ...r } });
    for (const g of ['ssh', 'proxy', 'split', 'web']) await group(g);
    await group('fast', false);
    await rule('proxy', { protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ids.ssh });
    await rule('web', { protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_group_id: ids.split });
    await rule('fast', { protocol: 'udp', port_range_min: 53, port_range_max: 53 });
    const port = async (name: string, host: string | null, extra: Record<string, unknown>) => {
      const p = await post('ports', { port: { name, network_id: net, ...(host && { 'binding:host_id': host }), ...extra } });
      ids[name] = p.id;
      return p;
    };
    natMac = (await port('nat', 'cn-hybrid', { security_groups: [ids.ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] })).mac_address;
    await port('proxy-h', 'cn-hybrid', { security_groups: [ids.proxy] });
    await port('proxy-f', 'cn-ovsfw', { security_groups: [ids.proxy] });
    await port('proxy-o', 'cn-ovn', { security_groups: [ids.proxy] });
    await port('nat2', 'cn-hybrid', { security_groups: [ids.split], allowed_address_pairs: [{ ip_address: '0.0.0.0/1' }, { ip_address: '128.0.0.0/1' }] });
    await port('web-f', 'cn-ovsfw', { security_groups: [ids.web] });
    await port('web-o', 'cn-ovn', { security_groups: [ids.web] });
    await port('dns-f', 'cn-ovsfw', { security_groups: [ids.fast] });
    await port('dns-h', 'cn-hybrid', { security_groups: [ids.fast] });
    await port('open', null, { port_security_enabled: false, security_groups: [] });

    // the live import, through the CLI as the admin (no Keystone: Neutron's noauth pipeline)
    const written = spawnSync(process.execPath, [CLI, 'snapshot', '--os-endpoint', neutron.url, '--os-auth-type', 'none', '-o', liveFile], { encoding: 'utf8', env: ENV });
    expect(written.status).toBe(0);
    summary = written.stderr.trimEnd().split('\n').at(-1)!;
    live = JSON.parse(readFileSync(liveFile, 'utf8')) as Snapshot;
    // cn-ovn migrated to OVN: its ports bound as ML2/OVN binds them, its chassis listed as an agent
    const ovn = ovnBinding();
    const half = {
      ...live,
      ports: live.ports.map((p) => (p['binding:host_id'] === 'cn-ovn' ? { ...p, 'binding:vif_type': ovn.vif_type, 'binding:vif_details': ovn.vif_details } : p)),
      agents: [...live.agents!, { agent_type: ovn.agent_type, host: 'cn-ovn', alive: true, configurations: {} }],
    };
    writeFileSync(halfFile, JSON.stringify(half));
  }, 180_000);
  afterAll(async () => { await neutron?.stop(); });

  const backendOf = (s: Snapshot, name: string) => s.backends!.ports[s.ports.find((p) => p.name === name)!.id];

  test('the import records each port\'s binding, the agents, and the backend they show with the evidence', async () => {
    const hybrid = live.ports.find((p) => p.name === 'proxy-h')!;
    // Neutron's own binding of an OVS port (mech_openvswitch.py)
    expect([hybrid['binding:vif_type'], hybrid['binding:vif_details']]).toEqual(['ovs', { connectivity: 'l2', port_filter: true, ovs_hybrid_plug: true, datapath_type: 'system', bound_drivers: { 0: 'openvswitch' } }]);
    expect(live.agents!.map((a) => [a.agent_type, a.host, a.configurations]).sort()).toEqual([
      ['Open vSwitch agent', 'cn-hybrid', { ovs_hybrid_plug: true }], ['Open vSwitch agent', 'cn-ovsfw', { ovs_hybrid_plug: false }],
    ]);
    expect(live.backends!.agents).toBe('GET /v2.0/agents: 2 agents');
    expect(summary).toBe('portsec: ports by backend: iptables_hybrid 4, openvswitch 3, unknown 3 (GET /v2.0/agents: 2 agents)');
    expect(backendOf(live, 'proxy-h')).toEqual({
      backend: 'iptables_hybrid',
      evidence: `${HYBRID}; Open vSwitch agent on host cn-hybrid with configurations.ovs_hybrid_plug=true`,
    });
    expect(backendOf(live, 'proxy-f')).toEqual({
      backend: 'openvswitch',
      evidence: 'bound by openvswitch (binding:vif_details.bound_drivers), ovs_hybrid_plug=false (ML2/OVS, openvswitch firewall); Open vSwitch agent on host cn-ovsfw with configurations.ovs_hybrid_plug=false',
    });
    // no agent on cn-ovn yet: Neutron could not bind the port, nothing shows its firewall
    expect(live.ports.find((p) => p.name === 'proxy-o')!['binding:vif_type']).toBe('binding_failed');
    expect(backendOf(live, 'proxy-o')).toEqual({ backend: 'unknown', evidence: 'no agent of host cn-ovn names a firewall' });
    expect(backendOf(live, 'open')).toEqual({ backend: 'unknown', evidence: 'not bound to a host' });
    // the in-process import finds the same
    expect((await fromCloud({ endpoint: neutron.url, authType: 'none' })).backends).toEqual(live.backends);
    // what a non-admin's import meets: Neutron hides every agent (an empty list, not a refusal)
    expect(await api(neutron.url, 'GET', '/v2.0/agents', as('demo'))).toEqual({ status: 200, body: { agents: [] } });
  });

  test('a cloud that refuses the agents (403) or lacks them (404): recorded, the bindings still tell; another error is one', async () => {
    // Neutron in front, its agents answered as a stricter policy or a cloud without the agent extension would
    let status = 403;
    const proxy: Server = createHttpServer((req, res) => {
      if (req.url!.startsWith('/v2.0/agents')) {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ NeutronError: { type: 'HTTPForbidden', message: `refused with ${status}`, detail: '' } }));
        return;
      }
      void fetch(`${neutron.url}${req.url}`, { headers: req.headers as Record<string, string> }).then(async (r) => {
        res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/json' }).end(await r.text());
      });
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
    try {
      const endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      for (const [code, why] of [[403, 'not allowed (admins only)'], [404, 'no agents API']] as const) {
        status = code;
        const s = await fromCloud({ endpoint, authType: 'none' });
        expect([s.agents, s.backends!.agents]).toEqual([undefined, `GET /v2.0/agents: ${why} (${code}: refused with ${code}); each port's backend is what its binding shows`]);
        expect(backendOf(s, 'proxy-h')).toEqual({ backend: 'iptables_hybrid', evidence: HYBRID });
      }
      status = 500;
      await expect(fromCloud({ endpoint, authType: 'none' })).rejects.toThrow(/GET .*\/v2\.0\/agents\?.* answered 500/);
    } finally {
      proxy.close();
      proxy.closeAllConnections();
    }
  });

  test('the half-migrated dump: proxy-o is OVN by its binding and its chassis', async () => {
    const half = JSON.parse(await portsec('snapshot', '--files', halfFile)) as Snapshot;
    expect(backendOf(half, 'proxy-o')).toEqual({
      backend: 'ovn', evidence: OVN,
    });
    expect(backendOf(half, 'proxy-h').backend).toBe('iptables_hybrid');
    expect(half.backends!.agents).toBe(`agents from ${halfFile}`);
  });

  const reach = async (src: string, dst: string, port: number, ...more: string[]) =>
    JSON.parse(await portsec('can-reach', src, dst, '--protocol', 'tcp', '--port', String(port), '--files', halfFile, '-f', 'raw', ...more)) as Explained;

  test('can-reach: the pitfall on the hybrid node, pinned on the openvswitch node, absent on the OVN node', async () => {
    // the NAT server forwards 200.200.200.200's flow
    const h = await reach('nat', 'proxy-h', 80, '--source-ip', '200.200.200.200');
    expect([h.verdict, h.backend]).toEqual(['ALLOW', 'iptables_hybrid']);
    expect(h.assumed).toEqual([
      { stage: 'egress', port: { type: 'port', id: ids.nat, name: 'nat' }, backend: 'iptables_hybrid', why: 'found', evidence: expect.stringContaining(HYBRID) },
      { stage: 'ingress', port: { type: 'port', id: ids['proxy-h'], name: 'proxy-h' }, backend: 'iptables_hybrid', why: 'found', evidence: expect.stringContaining(HYBRID) },
    ]);
    const o = await reach('nat', 'proxy-o', 80, '--source-ip', '200.200.200.200');
    expect([o.verdict, o.backend]).toEqual(['DENY', 'ovn']);
    expect(o.steps.find((s) => !s.ok)).toMatchObject({ stage: 'ingress', by: 'no-rule', backend: 'ovn', port: { name: 'proxy-o' } });
    // from another MAC: the hybrid node admits it, the openvswitch node's /0 member only matches nat's MAC
    expect((await reach('open', 'proxy-h', 80, '--source-ip', '200.200.200.200')).verdict).toBe('ALLOW');
    const f = await reach('open', 'proxy-f', 80, '--source-ip', '200.200.200.200');
    expect([f.verdict, f.backend]).toEqual(['DENY', 'openvswitch']);
    const viaNat = await reach('nat', 'proxy-f', 80, '--source-ip', '200.200.200.200');
    expect(viaNat.steps.at(-1)).toMatchObject({ stage: 'ingress', backend: 'openvswitch', member: { address: '0.0.0.0/0', onlyFromMac: natMac } });
    // the /1 halves are not pinned
    expect((await reach('open', 'web-f', 443, '--source-ip', '200.200.200.200')).verdict).toBe('ALLOW');
    expect((await reach('open', 'web-o', 443, '--source-ip', '200.200.200.200')).verdict).toBe('DENY');
    // the table says which backend each side assumed, and why
    const table = (await portsec('can-reach', 'nat', 'proxy-o', '--protocol', 'tcp', '--port', '80', '--source-ip', '200.200.200.200', '--files', halfFile)).split('\n');
    expect(table.slice(0, 3)).toEqual([
      'DENY: nat -> proxy-o tcp/80',
      `backend: iptables_hybrid (iptables/ipset (openvswitch hybrid)) for nat (egress): ${HYBRID}; Open vSwitch agent on host cn-hybrid with configurations.ovs_hybrid_plug=true`,
      `backend: ovn (OVN ACLs) for proxy-o (ingress): ${OVN}`,
    ]);
    const md = await portsec('can-reach', 'nat', 'proxy-o', '--protocol', 'tcp', '--port', '80', '--source-ip', '200.200.200.200', '--files', halfFile, '-f', 'markdown');
    // Markdown says the same, escaped
    expect(md.split('\n').filter((l) => l.startsWith('backend: ')).map((l) => l.replace(/\\/g, ''))).toEqual(table.slice(1, 3));
  });

  test('audit: each finding names its backend and only the ports on it', async () => {
    const findings = JSON.parse(await portsec('audit', '--files', halfFile, '-f', 'raw')) as Finding[];
    // in title order: the checks list groups in the order rules name them
    const about = (check: string) => findings.filter((f) => f.check === check).sort((a, b) => a.title.localeCompare(b.title)).map((f) => ({
      backend: f.backend, port: f.objects[1]?.name, opened: f.objects.filter((o) => o.type === 'port').slice(1).map((o) => o.name).sort(),
    }));
    // the seed's pitfall on the hybrid node only; the /1 split on the openvswitch node (the OVN node has neither)
    expect(about('wide-pair-in-remote-group')).toEqual([
      { backend: 'iptables_hybrid', port: 'nat', opened: ['proxy-h'] },
      { backend: 'openvswitch', port: 'nat2', opened: ['web-f'] },
      { backend: 'openvswitch', port: 'nat2', opened: ['web-f'] },
    ]);
    expect(findings.filter((f) => f.check === 'wide-pair-in-remote-group').map((f) => f.title).sort()).toEqual([
      'nat\'s allowed-address pair 0.0.0.0/0 widens every rule naming group ssh to 0.0.0.0/0',
      'nat2\'s allowed-address pair 0.0.0.0/1 widens every rule naming group split to 0.0.0.0/0',
      'nat2\'s allowed-address pair 128.0.0.0/1 widens every rule naming group split to 0.0.0.0/0',
    ]);
    expect(about('wide-pair-pinned-to-mac')).toEqual([{ backend: 'openvswitch', port: 'nat', opened: ['proxy-f'] }]);
    expect(findings.find((f) => f.check === 'wide-pair-pinned-to-mac')!.severity).toBe('low');
    const stateless = findings.filter((f) => f.check === 'stateless-group-tracked');
    expect(stateless.map((f) => [f.backend, f.objects.map((o) => o.name)])).toEqual([['openvswitch', ['fast', 'dns-f']]]);
    const nonIp = findings.filter((f) => f.check === 'non-ip-dropped');
    expect(nonIp.map((f) => [f.backend, f.severity, f.objects.map((o) => o.name).sort()])).toEqual([['openvswitch', 'info', ['dns-f', 'proxy-f', 'web-f']]]);
    // OVN's opposite trap names narrow pairs only: nat2's /1 halves are wider than its subnet, so admitting them by prefix would open the world
    expect(about('ovn-pair-not-member')).toEqual([]);
    // judged at /0 only, the halves are narrow enough: not members of split on OVN, so web-o drops what they forward (nat's /0 is still left alone)
    const atZero = JSON.parse(await portsec('audit', '--files', halfFile, '-f', 'raw', '--wide-pair-prefix', '0', '--check', 'ovn-pair-not-member')) as Finding[];
    expect(atZero.map((f) => [f.backend, f.objects[1]?.name])).toEqual([['ovn', 'nat2'], ['ovn', 'nat2']]);
    expect(findings.every((f) => f.backend)).toBe(true);
    // SARIF carries each result's backend (derived findings folded under their root cause)
    const roots = findings.filter((f) => !f.rootCause);
    const sarif = JSON.parse(await portsec('audit', '--files', halfFile, '-f', 'sarif'));
    expect(sarif.runs[0].results.map((r: { properties: { backend: string } }) => r.properties.backend)).toEqual(roots.map((f) => f.backend));
    // the run names each backend used: how many findings assume it, how many of the 9 filtered ports run it ('open', unfiltered and unbound, takes the default)
    const assumed = (b: string) => findings.filter((f) => f.backend === b).length;
    expect(sarif.runs[0].properties).toEqual({ backends: {
      iptables: { findings: assumed('iptables'), ports: 0 }, iptables_hybrid: { findings: assumed('iptables_hybrid'), ports: 4 },
      openvswitch: { findings: assumed('openvswitch'), ports: 3 }, ovn: { findings: assumed('ovn'), ports: 2 },
    } });
    expect(assumed('iptables')).toBe(1);
    // Markdown: the same counts in the run's lines, and each finding's backend under its check
    const md = (await portsec('audit', '--files', halfFile, '-f', 'markdown')).replace(/\\/g, '').split('\n');
    expect(md.filter((l) => l.startsWith('backend: '))).toEqual([
      'backend: iptables (iptables/ipset (linuxbridge)): 1 finding, 0 filtered ports',
      `backend: iptables_hybrid (iptables/ipset (openvswitch hybrid)): ${assumed('iptables_hybrid')} finding${assumed('iptables_hybrid') === 1 ? '' : 's'}, 4 filtered ports`,
      `backend: openvswitch (openvswitch firewall (OpenFlow)): ${assumed('openvswitch')} findings, 3 filtered ports`,
      `backend: ovn (OVN ACLs): ${assumed('ovn')} findings, 2 filtered ports`,
    ]);
    expect(md.filter((l) => l.startsWith('Assumes backend: ')).map((l) => l.split(' ')[2])).toEqual(roots.map((f) => f.backend));
  });

  test('--backend forces one backend on every port, and says so', async () => {
    const forced = await reach('nat', 'proxy-h', 80, '--source-ip', '200.200.200.200', '--backend', 'ovn');
    expect([forced.verdict, forced.assumed.map((a) => [a.backend, a.why])]).toEqual(['DENY', [['ovn', 'forced'], ['ovn', 'forced']]]);
    expect((await reach('nat', 'proxy-o', 80, '--source-ip', '200.200.200.200', '--backend', 'iptables_hybrid')).verdict).toBe('ALLOW');
    const findings = JSON.parse(await portsec('audit', '--files', halfFile, '-f', 'raw', '--backend', 'iptables')) as Finding[];
    expect(new Set(findings.map((f) => f.backend))).toEqual(new Set(['iptables']));
    const seed = findings.filter((f) => f.check === 'wide-pair-in-remote-group' && f.title.startsWith('nat\'s'));
    expect(seed.map((f) => f.objects.filter((o) => o.type === 'port').slice(1).map((o) => o.name).sort())).toEqual([['proxy-f', 'proxy-h', 'proxy-o']]);
    const table = (await portsec('audit', '--files', halfFile, '--backend', 'iptables')).trimEnd().split('\n');
    expect(table.at(-1)).toBe('backend: iptables (iptables/ipset (linuxbridge))');
    // forced: the reports' run line is that one backend, over every filtered port
    const sarif = JSON.parse(await portsec('audit', '--files', halfFile, '-f', 'sarif', '--backend', 'iptables'));
    expect(sarif.runs[0].properties).toEqual({ backends: { iptables: { findings: findings.length, ports: 9 } } });
    const md = (await portsec('audit', '--files', halfFile, '-f', 'markdown', '--backend', 'iptables')).split('\n');
    expect(md.filter((l) => l.startsWith('backend: '))).toEqual([`backend: iptables (iptables/ipset (linuxbridge)): ${findings.length} findings, 9 filtered ports`]);
  });

  test('exposure rows carry their port\'s backend', async () => {
    const { rows } = readExposureLines(await portsec('exposure', 'proxy-h', 'proxy-o', 'proxy-f', '--files', halfFile, '-f', 'raw'));
    expect(rows.map((r) => [r.port.name, r.backend, r.sources])).toEqual([
      ['proxy-h', 'iptables_hybrid', ['0.0.0.0/0']],
      ['proxy-o', 'ovn', [expect.stringMatching(/^10\.10\.10\.\d+\/32$/)]],
      ['proxy-f', 'openvswitch', ['0.0.0.0/0']],
    ]);
  });
});

describe('a port\'s backend from a dump without bound_drivers, and from the agents alone', () => {
  const port = (binding: Record<string, unknown>) => ({
    id: 'p', name: '', project_id: 'x', network_id: 'n', mac_address: 'fa:16:3e:00:00:01', device_owner: '', device_id: '',
    fixed_ips: [], allowed_address_pairs: [], security_groups: [], ...binding,
  });
  const agent = (agent_type: string, host: string, ovs_hybrid_plug?: boolean) => ({ agent_type, host, ...(ovs_hybrid_plug !== undefined && { configurations: { ovs_hybrid_plug } }) });
  const decide = (binding: Record<string, unknown>, agents: ReturnType<typeof agent>[] | null = []) => portBackends([port(binding)], agents, '').ports.p;

  test('the VIF type and details as each mechanism driver writes them', () => {
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'bridge', 'binding:vif_details': { port_filter: true } }).backend).toBe('iptables');
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'ovs', 'binding:vif_details': { port_filter: true, ovs_hybrid_plug: true } }).backend).toBe('iptables_hybrid');
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'ovs', 'binding:vif_details': { port_filter: true, ovs_hybrid_plug: false } }).backend).toBe('openvswitch');
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'ovs', 'binding:vif_details': { port_filter: true, connectivity: 'l2' } })).toEqual({
      backend: 'ovn', evidence: 'binding:vif_type=ovs with no ovs_hybrid_plug in binding:vif_details (ML2/OVN)',
    });
  });

  test('the agents speak when the binding does not; a disagreement is kept; nothing known is unknown', () => {
    // a binding without details: the host's agent decides
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'ovs' }, [agent('Open vSwitch agent', 'h', false), agent('DHCP agent', 'h')])).toEqual({
      backend: 'openvswitch', evidence: 'binding:vif_type=ovs without binding:vif_details (ML2/OVS or ML2/OVN); Open vSwitch agent on host h with configurations.ovs_hybrid_plug=false',
    });
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'binding_failed' }, [agent('OVN Controller Gateway agent', 'h')]).backend).toBe('ovn');
    // mid-migration, a host running both: which one filters the port is not told
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'unbound' }, [agent('Open vSwitch agent', 'h', true), agent('OVN Controller agent', 'h')])).toEqual({
      backend: 'unknown', evidence: 'the agents on host h do not agree on one firewall: Open vSwitch agent on host h with configurations.ovs_hybrid_plug=true, OVN Controller agent on host h',
    });
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'unbound' }, [agent('Open vSwitch agent', 'h')]).backend).toBe('unknown');
    // the binding decides over an agent that says otherwise (the port keeps its binding until rebound)
    expect(decide({ 'binding:host_id': 'h', 'binding:vif_type': 'bridge' }, [agent('OVN Controller agent', 'h')])).toEqual({
      backend: 'iptables', evidence: 'binding:vif_type=bridge (ML2/linuxbridge); the binding decides over OVN Controller agent on host h',
    });
    // a non-admin sees no binding at all
    expect(decide({}, null)).toEqual({ backend: 'unknown', evidence: 'no binding:host_id (only admins see bindings)' });
  });
});
