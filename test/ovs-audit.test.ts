/**
 * ovs-shared-wildcard-member: the openvswitch firewall's merge of a network's conjunction ids
 * by address lets a port holding an exact /0 pair match, from its MAC, another group with a
 * /0 member. The topology is first run through Neutron's own OVSFirewallDriver (the golden
 * harness) and `portsec compile --driver openvswitch`, which must agree and show the merge;
 * then the audit, exposure and the CLI's formats on the same cloud.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { type Finding, type ReachQuery } from '../src/analysis/answers.js';
import { audit } from '../src/analysis/audit/index.js';
import { DEFAULT_AUDIT_OPTIONS } from '../src/analysis/audit/options.js';
import { fixesFor } from '../src/analysis/fix/prove.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { canReach } from '../src/analysis/reach.js';
import { exposure } from '../src/analysis/exposure.js';
import { explainedExposure } from '../src/analysis/report/explain.js';
import { type Snapshot, type SnapshotRule } from '../src/analysis/snapshot.js';
import { type NeutronBackend } from '../src/policy/neutron-backends.js';
import { CLI } from './support/server.js';

const CHECK = 'ovs-shared-wildcard-member';
const tmp = mkdtempSync(join(tmpdir(), 'portsec-ovs-audit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, body: unknown) => {
  const f = join(tmp, name);
  writeFileSync(f, JSON.stringify(body));
  return f;
};

interface PortSpec { id: string; net: string; host: string; ip: string; group: string; pair?: string }
interface Cloudlet { ports: PortSpec[]; rules: SnapshotRule[] }

const mac = (id: string) => `fa:16:3e:00:00:${Buffer.from(id).toString('hex').slice(-2)}`;
const rule = (id: string, group: string, port: number, remote: string, direction: SnapshotRule['direction'] = 'ingress'): SnapshotRule => ({
  id, security_group_id: group, direction, ethertype: 'IPv4', protocol: 'tcp', port_range_min: port, port_range_max: port,
  remote_ip_prefix: null, remote_group_id: remote,
});
const GROUPS = ['A', 'B', 'X', 'Y'];

/**
 * Groups A and B on network n1, each with a port holding 0.0.0.0/0 (pa, pb); x (group X) admits
 * tcp/22 from A and, with `nameB`, tcp/80 from B (or y, group Y, does, where `yAt` puts it).
 */
function cloudlet({ nameB = true, pbNet = 'n1', y }: { nameB?: boolean; pbNet?: string; y?: { net: string; host: string } } = {}): Cloudlet {
  const ports: PortSpec[] = [
    { id: 'pa', net: 'n1', host: 'cn1', ip: '10.0.0.10', group: 'A', pair: '0.0.0.0/0' },
    { id: 'pb', net: pbNet, host: 'cn1', ip: pbNet === 'n1' ? '10.0.0.11' : '10.1.0.11', group: 'B', pair: '0.0.0.0/0' },
    { id: 'x', net: 'n1', host: 'cn1', ip: '10.0.0.1', group: 'X' },
    ...(y ? [{ id: 'y', net: y.net, host: y.host, ip: y.net === 'n1' ? '10.0.0.2' : '10.1.0.2', group: 'Y' }] : []),
  ];
  const rules = [rule('x-ssh', 'X', 22, 'A'), ...(nameB ? [rule('b-web', y ? 'Y' : 'X', 80, 'B')] : [])];
  return { ports, rules };
}

/** The harness's and the compiler's input: one node, every port local. */
const topology = (c: Cloudlet) => ({
  options: { driver: 'openvswitch' },
  security_groups: GROUPS.map((id) => ({ id, name: id, security_group_rules: c.rules.filter((r) => r.security_group_id === id).map(({ security_group_id: _, ...r }) => r) })),
  ports: c.ports.map((p) => ({ id: p.id, network_id: p.net, mac_address: mac(p.id), fixed_ips: [p.ip], security_groups: [p.group], allowed_address_pairs: p.pair ? [{ ip_address: p.pair }] : [] })),
});

/** The analyzer's input: the same cloud as Neutron's API answers. */
const snapshot = (c: Cloudlet): Snapshot => ({
  source: 'test', networks: ['n1', 'n2'].map((id) => ({ id, name: id, project_id: 'p' })), subnets: [], security_group_rules: c.rules,
  security_groups: GROUPS.map((id) => ({ id, name: id, project_id: 'p' })),
  ports: c.ports.map((p) => ({
    id: p.id, name: p.id, project_id: 'p', network_id: p.net, mac_address: mac(p.id), device_owner: 'compute:nova', device_id: `vm-${p.id}`,
    'binding:host_id': p.host, fixed_ips: [{ subnet_id: `s-${p.net}`, ip_address: p.ip }], security_groups: [p.group],
    allowed_address_pairs: p.pair ? [{ ip_address: p.pair, mac_address: mac(p.id) }] : [],
  })),
});

const shared = (c: Cloudlet, backend: NeutronBackend = 'openvswitch') => audit(buildCloud(snapshot(c), { backend })).filter((f) => f.check === CHECK);
const summary = (fs: Finding[]) => fs.map((f) => ({
  rule: f.objects.find((o) => o.type === 'security_group_rule')!.id,
  group: f.objects[0].name,
  outsiders: f.title.split(' ')[0],
})).sort((a, b) => a.rule.localeCompare(b.rule));

/** The conjunction ids of a flow's actions. */
const conjIds = (flow: string) => [...flow.matchAll(/conjunction\((\d+),/g)].map((m) => Number(m[1]));

describe('Neutron\'s OVSFirewallDriver and portsec compile on the topology', () => {
  test.each([['B named too', true], ['only A named', false]] as const)('%s: the compiler equals the driver, and pb\'s MAC carries A\'s conjunction exactly when B is named', async (_, nameB) => {
    const input = file(`topology-${nameB}.json`, topology(cloudlet({ nameB })));
    const neutron = await promisify(execFile)('/usr/bin/python3', [join(import.meta.dirname, 'golden/neutron_ovs_driver.py'), input]);
    const ours = spawnSync(process.execPath, [CLI, 'compile', '--driver', 'openvswitch', '--format', 'golden-json', '--topology', input], { encoding: 'utf8' });
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe(neutron.stdout);
    const flows: string[] = JSON.parse(neutron.stdout).flows;
    // A's conjunction ids: the second half (the port and service) of x's tcp/22 rule
    const aIds = flows.filter((f) => f.includes('table=82') && f.includes('tcp_dst=0x0016') && f.includes(',2/2)')).flatMap(conjIds);
    expect(aIds.length).toBe(2);
    const fromMac = (m: string) => flows.filter((f) => f.includes('table=82') && f.includes(`dl_src=${m}`)).flatMap(conjIds);
    expect(fromMac(mac('pa'))).toEqual(expect.arrayContaining(aIds));
    expect(fromMac(mac('pb')).some((id) => aIds.includes(id))).toBe(nameB);
    // the analyzer says the same
    expect(summary(shared(cloudlet({ nameB })))).toEqual(nameB
      ? [{ rule: 'b-web', group: 'B', outsiders: 'pa' }, { rule: 'x-ssh', group: 'A', outsiders: 'pb' }]
      : []);
  }, 60_000);
});

describe('the audit check', () => {
  test('on openvswitch only: iptables and OVN keep each group to its own members', () => {
    const c = cloudlet();
    expect(shared(c, 'openvswitch').length).toBe(2);
    for (const b of ['iptables', 'iptables_hybrid', 'ovn'] as const) expect(shared(c, b)).toEqual([]);
  });

  test('the finding names the group, the rule, the outsider, the network, the sharing member, other backends and fixes', () => {
    const f = shared(cloudlet()).find((x) => x.objects.some((o) => o.id === 'x-ssh'))!;
    expect(f).toMatchObject({ severity: 'high', backend: 'openvswitch' });
    expect(f.objects).toEqual(expect.arrayContaining([
      { type: 'security_group', id: 'A', name: 'A' }, { type: 'security_group_rule', id: 'x-ssh' }, { type: 'network', id: 'n1', name: 'n1' },
      { type: 'port', id: 'pb', name: 'pb' }, { type: 'port', id: 'pa', name: 'pa' }, { type: 'port', id: 'x', name: 'x' },
    ]));
    expect(f.title).toBe('pb is not in group A, yet on openvswitch the rule x-ssh naming A admits its traffic from any source address on network n1 on node cn1');
    expect(f.evidence.join('\n')).toContain(`group A's member pa holds allowed-address pair 0.0.0.0/0, matched only from MAC ${mac('pa')}`);
    expect(f.evidence.join('\n')).toContain(`pb (pb) is not in A but holds allowed-address pair 0.0.0.0/0 (MAC ${mac('pb')}), and this network's ports on the node name its group too: `
      + 'ingress IPv4 tcp/80 from remote group B (rule b-web of group X)');
    expect(Object.keys(f.backends!)).toEqual(['iptables/ipset (linuxbridge)', 'iptables/ipset (openvswitch hybrid)', 'OVN ACLs']);
    // the fix: pb's pinned /0 taken off (the bug's only trigger), proven to open nothing and to remove the finding
    const cloud = buildCloud(snapshot(cloudlet()), { backend: 'openvswitch' });
    const { offered } = fixesFor(cloud, f, DEFAULT_AUDIT_OPTIONS);
    expect(offered.map((x) => [x.kind, x.actions])).toEqual([['drop-pinned-wildcard-pair', [{ op: 'set-port-pairs', port: 'pb', pairs: [] }]]]);
    expect(offered[0].proof).toMatchObject({ opened: [], findingGone: true, newFindings: [] });
  });

  test('absent when the rules naming the groups are on other networks or nodes, or the outsider is on another network', () => {
    expect(shared(cloudlet({ y: { net: 'n1', host: 'cn1' } })).length).toBe(2);
    expect(shared(cloudlet({ y: { net: 'n2', host: 'cn1' } }))).toEqual([]);
    expect(shared(cloudlet({ y: { net: 'n1', host: 'cn2' } }))).toEqual([]);
    // B's /0 is shared into A's conjunction on n1, but pb's frames reach x routed, with the router's MAC
    expect(summary(shared(cloudlet({ pbNet: 'n2' })))).toEqual([{ rule: 'b-web', group: 'B', outsiders: 'pa' }]);
  });

  test('can-reach agrees on every outsider of an ingress finding: ALLOW from any source, DENY once no rule names the outsider\'s group', () => {
    const c = cloudlet();
    // every group lets everything out, so the verdict is the enforcing port's ingress rule
    const out = ['A', 'B'].map((g) => ({ ...rule(`${g}-out`, g, 0, ''), direction: 'egress' as const, protocol: null, port_range_min: null, port_range_max: null, remote_group_id: null }));
    const open = { ...c, rules: [...c.rules, ...out] };
    const findings = shared(open);
    expect(findings.length).toBe(2);
    for (const f of findings) {
      const r = open.rules.find((x) => f.objects.some((o) => o.id === x.id))!;
      const enforcing = open.ports.find((p) => p.group === r.security_group_id)!;
      const outsider = f.title.split(' ')[0];
      const q: ReachQuery = { src: outsider, dst: enforcing.ip, protocol: 'tcp', port: r.port_range_min!, sourcePort: 5000, sourceIp: '198.51.100.7' };
      // without the rule naming the outsider's own group its /0 stands for nothing at the enforcing port
      const alone = { ...open, rules: [r, ...out] };
      expect(shared(alone)).toEqual([]);
      expect([open, alone].map((x) => canReach(buildCloud(snapshot(x), { backend: 'openvswitch' }), q).verdict)).toEqual(['ALLOW', 'DENY']);
    }
  });

  test('egress: a /0 holder\'s own rule naming a group it is not in lets it send to any address (as the driver\'s table 72 shows)', async () => {
    const c = cloudlet({ nameB: false });
    // pb's group names A on egress; x's names A and B on egress, so pb's /0 carries A's conjunction
    const egress = { ...c, rules: [rule('b-out', 'B', 8443, 'A', 'egress'), rule('x-out', 'X', 443, 'A', 'egress'), rule('x-out-b', 'X', 80, 'B', 'egress')] };
    const input = file('egress.json', topology(egress));
    const neutron = await promisify(execFile)('/usr/bin/python3', [join(import.meta.dirname, 'golden/neutron_ovs_driver.py'), input]);
    const flows: string[] = JSON.parse(neutron.stdout).flows;
    const bOut = flows.filter((f) => f.includes('table=72') && f.includes('tcp_dst=0x20fb')).flatMap(conjIds);
    expect(flows.filter((f) => f.includes('table=72') && f.includes(`nw_dst=0.0.0.0/0,dl_src=${mac('pb')}`)).flatMap(conjIds)).toEqual(expect.arrayContaining(bOut));
    const fs = shared(egress);
    expect(summary(fs)).toEqual([{ rule: 'b-out', group: 'A', outsiders: 'pb' }]);
    expect(fs[0].title).toBe('pb is not in group A, yet on openvswitch the rule b-out naming A lets it send to any address on network n1 on node cn1');
  }, 60_000);
});

describe('exposure lists the outsider', () => {
  test('x\'s tcp/22 sources include pb\'s 0.0.0.0/0 as shared, in the words can-reach uses', () => {
    const rows = explainedExposure(exposure(buildCloud(snapshot(cloudlet()), { backend: 'openvswitch' }), undefined, { members: true }));
    const ssh = rows.find((r) => r.port.id === 'x' && r.ports === '22')!;
    const pb = ssh.origins.find((o) => o.from.kind === 'member' && o.from.member.port.id === 'pb')!;
    expect(pb.from).toMatchObject({ member: { group: { id: 'A' }, shared: true, onlyFromMac: mac('pb') } });
    expect(pb.via).toContain("through pb's allowed-address-pair 0.0.0.0/0 of another group, shared with every group holding one");
    const iptables = explainedExposure(exposure(buildCloud(snapshot(cloudlet()), { backend: 'iptables' }), undefined, { members: true })).find((r) => r.port.id === 'x' && r.ports === '22')!;
    expect(iptables.origins.some((o) => o.from.kind === 'member' && o.from.member.port.id === 'pb')).toBe(false);
  });
});

describe('portsec audit carries it in every format', () => {
  const c = cloudlet();
  const s = snapshot(c);
  const files = file('cloud.json', { networks: s.networks, subnets: [], ports: s.ports, security_groups: s.security_groups, security_group_rules: s.security_group_rules });
  const run = (backend: string, format: string) => {
    const r = spawnSync(process.execPath, [CLI, 'audit', '--files', files, '--backend', backend, '-f', format, '--check', 'shared-pinned'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout;
  };

  test('JSON, SARIF and Markdown under openvswitch; nothing under iptables or ovn', () => {
    const json: Finding[] = JSON.parse(run('openvswitch', 'raw'));
    expect(json.map((f) => f.check)).toEqual([CHECK, CHECK]);
    const sarif = JSON.parse(run('openvswitch', 'sarif'));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual([CHECK, CHECK]);
    const md = run('openvswitch', 'markdown');
    expect(md).toContain(`Check: \`${CHECK}\``);
    expect(md).toContain('pb is not in group A');
    for (const b of ['iptables', 'ovn']) expect(JSON.parse(run(b, 'raw'))).toEqual([]);
  });
});
