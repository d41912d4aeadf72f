/**
 * portsec diff: the flow classes whose verdict changes between two backends,
 * on hand-made clouds (the seed, a keepalived VIP, the NAT server's /0 and its
 * /1 split); every row's flow, and a random flow of each row's class, is asked
 * of can-reach on both backends.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type DiffRow, type ReachQuery } from '../src/analysis/answers.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { diff } from '../src/analysis/diff.js';
import { intervalOf } from '../src/analysis/ranges.js';
import { explainedDiff } from '../src/analysis/report/explain.js';
import { formatIp } from '../src/model/addresses.js';
import { canReach } from '../src/analysis/reach.js';
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../src/analysis/snapshot.js';
import { type NeutronBackend } from '../src/policy/neutron-backends.js';
import { api, as, portsec, type RunningServer, startServer } from './support/server.js';
import { NET, port, rule, snapshot as build } from './support/snapshot-builder.js';



/** a snapshot whose groups all let everything out, as Neutron's default egress rules do */
function snapshot(ports: SnapshotPort[], groups: string[], rules: SnapshotRule[]): Snapshot {
  return build(ports, groups, [...groups.map((g) => rule(`out-${g}`, g, { direction: 'egress', protocol: null })), ...rules]);
}

const seed = (natPairs: string[]) => snapshot([
  port('nat', ['10.10.10.10'], ['ssh'], natPairs),
  port('int', ['10.10.10.20'], ['ssh']),
  port('proxy', ['10.10.10.30'], ['proxy']),
  port('open', ['10.10.10.40'], [], [], { port_security_enabled: false }),
  port('lb', ['10.10.10.50'], ['ssh'], ['10.10.10.100']),
  // in no group that proxy names: only the NAT server's pair made them sources proxy admitted
  port('web', ['10.10.10.70'], ['web']),
  port('web2', ['10.10.10.71'], ['web']),
], ['ssh', 'proxy', 'web'], [
  rule('to-ssh', 'ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
  rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
]);

/** keepalived: ka1 and ka2 in vrrp hold the VIP 10.10.10.2 as a pair (and speak VRRP to each other); web admits tcp/80 from remote group vrrp; client may send only tcp/443, to remote group vrrp */
const vip = (): Snapshot => {
  const s = snapshot([
    port('ka1', ['10.10.10.11'], ['vrrp'], ['10.10.10.2']),
    port('ka2', ['10.10.10.12'], ['vrrp'], ['10.10.10.2']),
    port('web', ['10.10.10.30'], ['web']),
    port('client', ['10.10.10.60'], ['client']),
  ], ['vrrp', 'web', 'client'], [
    rule('vrrp-in', 'vrrp', { protocol: 'vrrp', remote_group_id: 'vrrp' }),
    rule('https-in', 'vrrp', { port_range_min: 443, port_range_max: 443, remote_ip_prefix: '10.10.10.0/24' }),
    rule('web-in', 'web', { port_range_min: 80, port_range_max: 80, remote_group_id: 'vrrp' }),
    rule('client-out', 'client', { direction: 'egress', port_range_min: 443, port_range_max: 443, remote_group_id: 'vrrp' }),
  ]);
  // client sends nothing but tcp/443 to vrrp's members
  return { ...s, security_group_rules: s.security_group_rules.filter((r) => r.id !== 'out-client') };
};

/** IPv6: nat with a ::/0 pair in a, dst in b (tcp/80-81, echo and any protocol from remote group a), bare in no group */
const v6Cloud = (): Snapshot => {
  const s = snapshot([port('nat', ['x'], ['a'], ['x']), port('dst', ['x'], ['b']), port('bare', ['x'], [])], ['a', 'b'], [
    rule('web', 'b', { port_range_min: 80, port_range_max: 81, remote_group_id: 'a' }),
    rule('ping', 'b', { protocol: 'ipv6-icmp', port_range_min: 128, port_range_max: 0, remote_group_id: 'a' }),
    rule('all', 'b', { protocol: null, remote_group_id: 'a' }),
  ]);
  return {
    ...s,
    subnets: [{ id: 'sub-1', name: 'priv', network_id: NET, ip_version: 6, cidr: 'fd00::/64', gateway_ip: null }],
    ports: s.ports.map((p, i) => ({ ...p, fixed_ips: p.fixed_ips.map((f) => ({ ...f, ip_address: `fd00::${i + 10}` })), allowed_address_pairs: p.allowed_address_pairs.map(() => ({ ip_address: '::/0' })) })),
    security_group_rules: s.security_group_rules.map((r) => ({ ...r, ethertype: 'IPv6' })),
  };
};

const run = (s: Snapshot, a: NeutronBackend, b: NeutronBackend) => diff(buildCloud(s, { backend: a }), buildCloud(s, { backend: b }));

const brief = (r: DiffRow) => [r.destination.address, `${r.protocol}/${r.ports}`, r.senders.map((x) => x.name).join(' '), r.sources.join(' '), `${r.from.verdict}->${r.to.verdict}`];

/** the seed's wide class: every source but the members' own addresses and lb's VIP (each a class of its own) */
const ALL_BUT_MEMBERS = { cidr: '0.0.0.0/0', except: ['10.10.10.10/32', '10.10.10.20/32', '10.10.10.50/32', '10.10.10.100/32'] };

/** a small seeded generator, so a failure names a flow that can be asked again */
function rng(seed: number) {
  let x = seed;
  return (n: bigint): bigint => {
    let v = 0n;
    for (let i = 0; i < 4; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      v = (v << 31n) | BigInt(x);
    }
    return v % n;
  };
}

/** Every row's flow, and a random source of each of its CIDRs (to a random port of its ranges), is answered by can-reach on each side as the row says. */
function recheck(s: Snapshot, a: NeutronBackend, b: NeutronBackend, rows: DiffRow[]): number {
  const clouds = [buildCloud(s, { backend: a }), buildCloud(s, { backend: b })];
  const random = rng(rows.length + 1);
  let asked = 0;
  for (const r of rows) {
    // a random port of the row's ranges too, where the protocol has ports
    const ranges = r.ports === 'any' ? [[0, 65535]] : /^\d/.test(r.ports) ? r.ports.split(', ').map((x) => x.split('-').map(Number)) : [];
    const port = () => {
      if (!ranges.length || r.flow.port === undefined) return {};
      const [lo, hi = lo] = ranges[Number(random(BigInt(ranges.length)))];
      return { port: lo + Number(random(BigInt(hi - lo + 1))) };
    };
    // a row of plain senders (each sending from its fixed IPs) asks from the sender that holds the source
    const holder = (ip: string) => s.ports.find((p) => r.senders.some((x) => x.id === p.id) && p.fixed_ips.some((f) => f.ip_address === ip))?.id ?? r.flow.src;
    const flows: ReachQuery[] = [r.flow, ...r.sources.map((cidr) => {
      const { family, interval: [lo, hi] } = intervalOf(cidr);
      const sourceIp = formatIp(family, lo + random(hi - lo + 1n));
      return { ...r.flow, ...port(), src: holder(sourceIp), sourceIp };
    })];
    for (const q of flows) {
      expect(clouds.map((c) => canReach(c, q).verdict), JSON.stringify(q)).toEqual([r.from.verdict, r.to.verdict]);
      asked++;
    }
  }
  return asked;
}

describe('diff on hand-made clouds', () => {
  test('the seed, iptables_hybrid to ovn: tcp/80 to proxy from the wide sources and from the VIP, ALLOW to DENY, with each side\'s reason', () => {
    const rows = run(seed(['0.0.0.0/0']), 'iptables_hybrid', 'ovn');
    // nat and open (no port security) may send any source; lb its VIP; web and web2 their own fixed IPs, inside nat's pair; int only its own fixed IP, a member on both
    expect(rows.map((r) => [r.senders.map((x) => x.name).join(' '), r.cover])).toEqual([
      ['nat', ALL_BUT_MEMBERS], ['nat', { cidr: '10.10.10.100/32', except: [] }],
      ['open', ALL_BUT_MEMBERS], ['open', { cidr: '10.10.10.100/32', except: [] }],
      ['lb', { cidr: '10.10.10.100/32', except: [] }],
      // the same rules and the same members hold both: one class
      ['web web2', { cidr: '10.10.10.70/31', except: [] }],
    ]);
    for (const r of rows) {
      expect([r.destination, r.ethertype, r.protocol, r.ports, r.from.verdict, r.to.verdict, r.from.backend, r.to.backend])
        .toEqual([{ address: '10.10.10.30', ports: [{ type: 'port', id: 'proxy', name: 'proxy' }] }, 'IPv4', 'tcp', '80', 'ALLOW', 'DENY', 'iptables_hybrid', 'ovn']);
    }
    const [wide] = explainedDiff(rows);
    expect(wide.from.reason).toMatch(/^nat egress allows it: .*; proxy ingress allows it: IPv4 tcp\/80 from remote group ssh \(rule web of group proxy\); source [0-9.]+ matches group ssh's member nat via allowed-address-pair 0\.0\.0\.0\/0$/);
    expect(wide.to.reason).toMatch(/^proxy ingress has no rule for IPv4 tcp\/80 from [0-9.]+; on ovn remote group ssh stands for its members' fixed IPs only: nat's allowed-address pair 0\.0\.0\.0\/0 is not a member$/);
    expect(wide.to.changes.map((c) => c.command)).toEqual([`openstack security group rule create --ingress --ethertype IPv4 --protocol tcp --dst-port 80 --remote-ip ${wide.flow.sourceIp} proxy`]);
    expect(explainedDiff(rows)[4].to.reason).toContain('lb\'s allowed-address pair 10.10.10.100 is not a member');
    expect(explainedDiff(rows)[5].from.reason).toMatch(/source 10\.10\.10\.70 matches group ssh's member nat via allowed-address-pair 0\.0\.0\.0\/0$/);
    expect(recheck(seed(['0.0.0.0/0']), 'iptables_hybrid', 'ovn', rows)).toBeGreaterThan(rows.length);
  });

  test('a VIP cloud, iptables_hybrid to ovn: the flows sourced from the VIP that remote group vrrp admitted, and client\'s flows to the VIP, ALLOW to DENY', () => {
    const rows = run(vip(), 'iptables_hybrid', 'ovn');
    expect(rows.map(brief)).toEqual([
      // VRRP between the keepalived pair, sent from the VIP
      ['10.10.10.11', 'vrrp/any', 'ka2', '10.10.10.2/32', 'ALLOW->DENY'],
      // client's egress names remote group vrrp: on OVN the VIP is not one of its members
      ['10.10.10.2', 'tcp/443', 'client', '10.10.10.60/32', 'ALLOW->DENY'],
      ['10.10.10.12', 'vrrp/any', 'ka1', '10.10.10.2/32', 'ALLOW->DENY'],
      ['10.10.10.30', 'tcp/80', 'ka1', '10.10.10.2/32', 'ALLOW->DENY'],
      ['10.10.10.30', 'tcp/80', 'ka2', '10.10.10.2/32', 'ALLOW->DENY'],
    ]);
    const toVip = explainedDiff(rows)[1];
    expect(toVip.destination.ports.map((p) => p.name)).toEqual(['ka1', 'ka2']);
    expect(toVip.to.steps).toMatchObject([{ stage: 'egress', by: 'no-rule', port: { name: 'client' } }]);
    expect(toVip.to.reason).toContain('on ovn remote group vrrp stands for its members\' fixed IPs only: ka1\'s allowed-address pair 10.10.10.2 is not a member');
    expect(recheck(vip(), 'iptables_hybrid', 'ovn', rows)).toBeGreaterThan(rows.length);
  });

  test('iptables to iptables_hybrid: nothing changes', () => {
    for (const s of [seed(['0.0.0.0/0']), seed(['0.0.0.0/1', '128.0.0.0/1']), vip()]) expect(run(s, 'iptables', 'iptables_hybrid')).toEqual([]);
  });

  test('iptables_hybrid to openvswitch: the exact /0 pair admits only the NAT server\'s own frames, the /1 split changes nothing', () => {
    const rows = run(seed(['0.0.0.0/0']), 'iptables_hybrid', 'openvswitch');
    // any frame but nat's own: open's, and web's and web2's from their fixed IPs
    expect(rows.map((r) => [r.senders.map((x) => x.name).join(' '), r.cover, r.from.verdict, r.to.verdict])).toEqual([
      ['open', ALL_BUT_MEMBERS, 'ALLOW', 'DENY'], ['web web2', { cidr: '10.10.10.70/31', except: [] }, 'ALLOW', 'DENY'],
    ]);
    expect(explainedDiff(rows)[0].to.reason).toMatch(/; on openvswitch nat's allowed-address pair 0\.0\.0\.0\/0 is a member of ssh only in frames from its own MAC$/);
    expect(recheck(seed(['0.0.0.0/0']), 'iptables_hybrid', 'openvswitch', rows)).toBeGreaterThan(rows.length);
    expect(run(seed(['0.0.0.0/1', '128.0.0.0/1']), 'iptables_hybrid', 'openvswitch')).toEqual([]);
    // and back: what the move from openvswitch opens
    const back = run(seed(['0.0.0.0/0']), 'openvswitch', 'iptables_hybrid');
    expect(back.map((r) => [r.senders.map((x) => x.name).join(' '), r.from.verdict, r.to.verdict])).toEqual([['open', 'DENY', 'ALLOW'], ['web web2', 'DENY', 'ALLOW']]);
  });

  test('IPv6, and services: a rule for any protocol gives a row per protocol, its port ranges merged where the same rules decide; ICMPv6 types decided alike are one class', () => {
    const s = v6Cloud();
    const rows = run(s, 'iptables_hybrid', 'ovn');
    const wide = '::/0 except fd00::10/128';
    const toDst = rows.filter((r) => r.destination.address === 'fd00::11');
    expect(toDst.map((r) => [...brief(r).slice(0, 3), r.cover.except.length ? `${r.cover.cidr} except ${r.cover.except.join(' ')}` : r.cover.cidr, brief(r)[4]])).toEqual([
      // an instance's router advertisement: the iptables driver drops it, OVN's nd_ra (code 0) passes both ways; another code takes the rules
      ['fd00::11', 'ipv6-icmp/type 134 other codes', 'nat', 'fd00::10/128', 'DENY->ALLOW'],
      ['fd00::11', 'ipv6-icmp/type 128 code 0', 'nat', wide, 'ALLOW->DENY'],
      // the iptables driver lets NDP and MLD in with any code, OVN only as nd (code 0) and MLD from link-local sources
      ['fd00::11', 'ipv6-icmp/type 130', 'nat', `${wide} fe80::/10`, 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 135 other codes', 'nat', wide, 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 136 other codes', 'nat', wide, 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 131, type 132', 'nat', `${wide} fe80::/10`, 'ALLOW->DENY'],
      // types no line of either side lets through: decided by the same rules
      ['fd00::11', 'ipv6-icmp/type 143, other types', 'nat', wide, 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 134 code 0', 'nat', '::/0', 'DENY->ALLOW'],
      // DHCPv6's provider rule cuts udp at 546, but the same rule (all) decides every port
      ['fd00::11', 'udp/any', 'nat', wide, 'ALLOW->DENY'],
      ['fd00::11', 'tcp/0-79, 82-65535', 'nat', wide, 'ALLOW->DENY'],
      ['fd00::11', 'tcp/80-81', 'nat', wide, 'ALLOW->DENY'],
      ['fd00::11', 'any/any', 'nat', wide, 'ALLOW->DENY'],
      // a port without groups sends ICMPv6 all the same (the driver lets it out), from its address nat's pair covers
      ['fd00::11', 'ipv6-icmp/type 128 code 0', 'bare', 'fd00::12/128', 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 130', 'bare', 'fd00::12/128', 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 135 other codes', 'bare', 'fd00::12/128', 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 136 other codes', 'bare', 'fd00::12/128', 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 131, type 143, type 132, other types', 'bare', 'fd00::12/128', 'ALLOW->DENY'],
      ['fd00::11', 'ipv6-icmp/type 134 code 0', 'bare', 'fd00::12/128', 'DENY->ALLOW'],
    ]);
    // the other destinations: NDP and MLD between every pair of ports, each way
    expect(new Set(rows.map((r) => r.destination.address))).toEqual(new Set(['fd00::10', 'fd00::11', 'fd00::12']));
    expect(recheck(s, 'iptables_hybrid', 'ovn', rows)).toBeGreaterThan(rows.length);
  });

  test('a port without security groups sending a router advertisement: the iptables driver drops it, OVN\'s nd_ra lets it through (a fixed line\'s ICMPv6 type and code are a class of their own)', () => {
    const s = v6Cloud();
    const rows = run(s, 'iptables_hybrid', 'ovn').filter((r) => r.senders.some((x) => x.name === 'bare') && r.ports === 'type 134 code 0');
    expect(rows.map(brief)).toEqual([
      ['fd00::10', 'ipv6-icmp/type 134 code 0', 'dst bare', 'fd00::11/128 fd00::12/128', 'DENY->ALLOW'],
      ['fd00::11', 'ipv6-icmp/type 134 code 0', 'bare', 'fd00::12/128', 'DENY->ALLOW'],
    ]);
    const [toDst] = explainedDiff(rows.slice(1));
    expect(toDst.flow).toMatchObject({ src: 'bare', protocol: 'ipv6-icmp', port: 134, sourcePort: 0 });
    expect(toDst.from.steps).toMatchObject([{ stage: 'egress', by: 'fixed', why: 'instances may not send router advertisements' }]);
    expect(toDst.to.steps.map((x) => [x.stage, 'by' in x && x.by])).toEqual([['egress', 'fixed'], ['ingress', 'fixed']]);
    expect(recheck(s, 'iptables_hybrid', 'ovn', rows)).toBeGreaterThan(rows.length);
  });

  test('iptables_hybrid to openvswitch: a DCCP rule\'s port range is dropped, so its other ports open', () => {
    const s = snapshot([port('a', ['10.10.10.10'], ['a']), port('b', ['10.10.10.20'], ['b'])], ['a', 'b'], [
      rule('dccp', 'b', { protocol: 'dccp', port_range_min: 5000, port_range_max: 5000, remote_ip_prefix: '10.10.10.0/24' }),
    ]);
    const rows = run(s, 'iptables_hybrid', 'openvswitch');
    expect(rows.map(brief)).toEqual([['10.10.10.20', 'dccp/0-4999, 5001-65535', 'a', '10.10.10.10/32', 'DENY->ALLOW']]);
    expect(explainedDiff(rows)[0].to.reason).toMatch(/b ingress allows it: IPv4 dccp from 10\.10\.10\.0\/24 \(rule dccp of group b\)$/);
    expect(recheck(s, 'iptables_hybrid', 'openvswitch', rows)).toBeGreaterThan(rows.length);
  });

  test('the /1 split to ovn: each half is a class of its own member', () => {
    const rows = run(seed(['0.0.0.0/1', '128.0.0.0/1']), 'iptables_hybrid', 'ovn');
    const nat = explainedDiff(rows).filter((r) => r.senders.map((x) => x.name).join(' ') === 'nat');
    expect(nat.map((r) => r.from.steps.at(-1))).toMatchObject([
      { member: { address: '0.0.0.0/1' } }, { member: { address: '10.10.10.100' } }, { member: { address: '128.0.0.0/1' } },
    ]);
    expect(nat.map((r) => r.sources.at(-1))).toEqual(['64.0.0.0/2', '10.10.10.100/32', '128.0.0.0/1']);
    recheck(seed(['0.0.0.0/1', '128.0.0.0/1']), 'iptables_hybrid', 'ovn', rows);
  });
});

describe('portsec diff on the command line', () => {
  let dir: string;
  let file: string;
  const diffOf = (...args: string[]) => portsec('diff', '--files', file, '--backend', 'iptables_hybrid', '--to-backend', 'ovn', ...args);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portsec-diff-'));
    file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify(seed(['0.0.0.0/0'])));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('raw JSON: the rows the analyzer gives, each side with its reason; the table, JSON, YAML, values, Markdown and SARIF say the same', async () => {
    const json = JSON.parse((await diffOf('-f', 'raw')).stdout);
    const rows = explainedDiff(run(seed(['0.0.0.0/0']), 'iptables_hybrid', 'ovn'));
    expect(json).toEqual({ backend: 'iptables_hybrid', to_backend: 'ovn', rows: JSON.parse(JSON.stringify(rows)) });

    const table = (await diffOf()).stdout;
    expect(table.split('\n').slice(-3)).toEqual(['from backend: iptables_hybrid (iptables/ipset (openvswitch hybrid))', 'to backend: ovn (OVN ACLs)', '']);
    expect(table).toContain('| Destination | Service     | Sent by | Sources');
    expect(table.match(/\| proxy +\| IPv4 tcp\/80 \|/g)).toHaveLength(rows.length);
    expect(table).toContain('0.0.0.0/0 except 10.10.10.10/32');

    const yaml = parseYaml((await diffOf('-f', 'yaml')).stdout) as Record<string, string>[];
    expect(yaml.map((r) => [r['Sent by'].replace(/\n/g, ' '), r.iptables_hybrid.split('\n')[0], r.ovn.split('\n')[0]])).toEqual(rows.map((r) => [r.senders.map((x) => x.name).join(' '), 'ALLOW', 'DENY']));
    // JSON rows are the YAML's, keyed as the table's columns
    expect(JSON.parse((await diffOf('-f', 'json')).stdout)).toEqual(yaml);
    expect((await diffOf('-f', 'value', '-c', 'ovn')).stdout.match(/^DENY$/gm)).toHaveLength(rows.length);

    const md = (await diffOf('-f', 'markdown')).stdout;
    expect(md).toMatch(/^# portsec diff\n/);
    expect(md).toContain(`${rows.length} flow classes change verdict.`);
    expect(md.match(/^## \d+\. ALLOW -> DENY: IPv4 tcp\/80 to \*\*proxy\*\*|^## \d+\. ALLOW -> DENY: IPv4 tcp\/80 to proxy/gm)).toHaveLength(rows.length);
    expect(md).toContain(`portsec can-reach nat 10.10.10.30 --protocol tcp --port 80 --source-ip ${rows[0].flow.sourceIp} --backend ovn`);

    const out = join(dir, 'diff.sarif');
    expect((await diffOf('-f', 'sarif', '-o', out)).code).toBe(0);
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.runs[0].properties).toEqual({ backend: 'iptables_hybrid', to_backend: 'ovn' });
    expect(sarif.runs[0].automationDetails.id).toMatch(/^portsec\/diff\//);
    const results = sarif.runs[0].results as { ruleId: string; level: string; message: { text: string } }[];
    expect(results.map((r) => [r.ruleId, r.level])).toEqual(rows.map(() => ['flow-blocked-by-backend', 'warning']));
    expect(results[0].message.text).toContain('ovn: DENY: proxy ingress has no rule');
    // what would let the denied flow through is evidence, not a proven fix
    expect(rows[0].to.changes.length).toBeGreaterThan(0);
    for (const c of rows[0].to.changes) expect(results[0].message.text).toContain(`to let it through on ovn: ${c.command}`);
  });

  test('the same backend twice, or a move that changes nothing, lists nothing', async () => {
    expect((await portsec('diff', '--files', file, '--backend', 'ovn', '--to-backend', 'ovn')).stdout).toMatch(/^no flow changes verdict\n/);
    expect(JSON.parse((await portsec('diff', '--files', file, '--backend', 'iptables', '--to-backend', 'iptables_hybrid', '-f', 'raw')).stdout).rows).toEqual([]);
  });

  test('bad input: one line and exit 2 for an unreadable input; a missing or unknown --to-backend is refused', async () => {
    const missing = await portsec('diff', '--files', join(dir, 'nosuch.json'), '--backend', 'iptables', '--to-backend', 'ovn');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^portsec: .+\n$/);
    writeFileSync(join(dir, 'bad.json'), '{"ports": 3}');
    const bad = await portsec('diff', '--files', join(dir, 'bad.json'), '--backend', 'iptables', '--to-backend', 'ovn');
    expect([bad.code, /^portsec: .+\n$/.test(bad.stderr)]).toEqual([2, true]);
    const from = await portsec('diff', '--files', file, '--to-backend', 'ovn');
    expect([from.code, from.stderr]).toEqual([2, 'portsec: diff needs --backend, the firewall the cloud runs now (one of iptables, iptables_hybrid, openvswitch, ovn)\n']);
    for (const args of [[], ['--to-backend', 'nftables']]) {
      const r = await portsec('diff', '--files', file, ...args);
      // a usage error: one line, exit 2
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^portsec: .*--to-backend[^\n]*\n$/);
    }
  });
});

describe.sequential('GET /analysis/v1/diff', () => {
  let server: RunningServer;
  const admin = as('admin', 'admin');
  const post = async (path: string, body: unknown) => {
    const r = await api(server.url, 'POST', `/v2.0/${path}`, admin, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return Object.values(r.body as Record<string, { id: string }>)[0].id;
  };
  beforeAll(async () => {
    server = await startServer(['--auth', 'trusted-headers']);
    const net = await post('networks', { network: { name: 'priv' } });
    await post('subnets', { subnet: { network_id: net, cidr: '10.10.10.0/24', ip_version: 4 } });
    const ssh = await post('security-groups', { security_group: { name: 'ssh' } });
    const proxy = await post('security-groups', { security_group: { name: 'proxy' } });
    await post('security-group-rules', { security_group_rule: { security_group_id: proxy, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_group_id: ssh } });
    await post('ports', { port: { name: 'nat', network_id: net, fixed_ips: [{ ip_address: '10.10.10.10' }], security_groups: [ssh], allowed_address_pairs: [{ ip_address: '0.0.0.0/0' }] } });
    await post('ports', { port: { name: 'proxy', network_id: net, fixed_ips: [{ ip_address: '10.10.10.30' }], security_groups: [proxy] } });
  }, 120_000);
  afterAll(async () => { await server?.stop(); });

  test('the rows portsec diff prints for the same database; to_backend is required and checked', async () => {
    const r = await api(server.url, 'GET', '/analysis/v1/diff?backend=iptables_hybrid&to_backend=ovn', admin);
    expect(r.status).toBe(200);
    const cli = JSON.parse((await portsec('diff', '--db', server.db, '--backend', 'iptables_hybrid', '--to-backend', 'ovn', '-f', 'raw')).stdout);
    expect(r.body).toEqual(cli);
    expect(r.body.rows.map((x: DiffRow) => [x.senders.map((y) => y.name).join(' '), x.destination.ports[0].name, `${x.protocol}/${x.ports}`, x.cover.cidr, x.from.verdict, x.to.verdict]))
      .toEqual([['nat', 'proxy', 'tcp/80', '0.0.0.0/0', 'ALLOW', 'DENY']]);
    // asked again: the same answer (kept per change)
    expect((await api(server.url, 'GET', '/analysis/v1/diff?backend=iptables_hybrid&to_backend=ovn', admin)).body).toEqual(r.body);
    expect((await api(server.url, 'GET', '/analysis/v1/diff?backend=iptables&to_backend=iptables_hybrid', admin)).body.rows).toEqual([]);
    // both ends named: without `backend` the analyzer takes each port's own, which is no one backend to move from
    for (const q of ['', '?to_backend=ovn', '?backend=ovn', '?to_backend=nftables', '?backend=nftables&to_backend=ovn']) {
      const bad = await api(server.url, 'GET', `/analysis/v1/diff${q}`, admin);
      expect(bad.status, q).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/needs backend|needs to_backend|backend must be one of/);
    }
    expect((await api(server.url, 'GET', '/analysis/v1/diff?to_backend=ovn', { 'Content-Type': 'application/json' })).status).toBe(401);
    // another project's view holds none of these ports
    const other = await api(server.url, 'GET', '/analysis/v1/diff?backend=iptables_hybrid&to_backend=ovn', as('other'));
    expect([other.status, other.body.rows]).toEqual([200, []]);
  });
});
