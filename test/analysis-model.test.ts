/**
 * One model for every answer: the audit and the write guard read the IR that
 * exposure, can-reach and the compiler read (the driver's fixed lines
 * included), so none reports what another contradicts — on hand-made clouds,
 * on random clouds, and on random writes to real servers.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { audit } from '../src/analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../src/analysis/audit/options.js';
import { pitfalls, widePairFindings } from '../src/analysis/audit/wide-pairs.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { exposure, portExposure, ruleSources, serviceText } from '../src/analysis/exposure.js';
import { fixedEgress, fixedIngress } from '../src/analysis/fixed-rules.js';
import { type Packet, parseAddress, portAdmits, queryProtocol } from '../src/analysis/packet.js';
import { intervalOf, isEverything, union } from '../src/analysis/ranges.js';
import { canReach } from '../src/analysis/reach.js';
import { type Finding } from '../src/analysis/answers.js';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { as, type RunningServer, startServer } from './support/server.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';

/** what an arbitrary generates */
type ArbitraryValue<A> = A extends fc.Arbitrary<infer T> ? T : never;

describe('the seed pitfall on a port without fixed IPs', () => {
  // Neutron's server hands over no member for a port without fixed IPs: its 0.0.0.0/0 pair opens nothing
  const s = snapshot([
    port('nat', [], ['ssh'], ['0.0.0.0/0']),
    port('int', ['10.10.10.20'], ['ssh']),
    port('proxy', ['10.10.10.30'], ['proxy']),
  ], ['ssh', 'proxy'], [
    rule('out', 'ssh', { direction: 'egress', protocol: null }),
    rule('to-ssh', 'ssh', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
    rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' }),
    rule('admin', 'proxy', { port_range_min: 22, port_range_max: 22, remote_group_id: 'ssh' }),
  ]);

  test('exposure and can-reach: ssh stands for the other member only', () => {
    const cloud = buildCloud(s);
    expect(exposure(cloud, [cloud.ports.get('proxy')!]).map((r) => [r.ports, r.sources])).toEqual([['80', ['10.10.10.20/32']], ['22', ['10.10.10.20/32']]]);
    expect(canReach(cloud, { src: '200.200.200.200', dst: 'proxy', protocol: 'tcp', port: 80 }).verdict).toBe('DENY');
  });

  test('the audit agrees: no wide-pair finding, no admin port open to the world, nothing critical', () => {
    const findings = audit(buildCloud(s));
    expect(findings.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
    expect(findings.map((f) => f.check)).not.toContain('admin-port-open-to-world');
  });

  test('with the OVS agent\'s cache (pairs of ports without fixed IPs are members) all three answers see the pair', () => {
    const cloud = buildCloud(s, { sgInfoSource: 'agent_shim' });
    expect(exposure(cloud, [cloud.ports.get('proxy')!]).map((r) => r.sources)).toEqual([['0.0.0.0/0'], ['0.0.0.0/0']]);
    expect(canReach(cloud, { src: '200.200.200.200', dst: 'proxy', protocol: 'tcp', port: 80 }).verdict).toBe('ALLOW');
    const checks = audit(cloud).filter((f) => f.severity === 'critical').map((f) => f.check);
    expect(checks).toContain('wide-pair-in-remote-group');
    expect(checks).toContain('admin-port-open-to-world');
  });
});

describe('the driver\'s fixed lines, as can-reach follows them', () => {
  const packet = (family: 'IPv4' | 'IPv6', src: string, dst: string, protocol: string, dport: number | null, sport: number | null = null): Packet =>
    ({ family, src: parseAddress(src)!.value, dst: parseAddress(dst)!.value, protocol: queryProtocol(protocol)!, dport, sport });

  test('DHCP and DAD before anti-spoofing, DHCP-server replies and router advertisements dropped, ICMPv6 out, NDP in', () => {
    expect(fixedEgress(packet('IPv4', '0.0.0.0', '255.255.255.255', 'udp', 67, 68))?.verdict).toBe('accept-before-spoof');
    expect(fixedEgress(packet('IPv4', '10.0.0.5', '10.0.0.2', 'udp', 67, 68))).toEqual({ verdict: 'accept', why: 'DHCP client request' });
    expect(fixedEgress(packet('IPv4', '10.0.0.5', '10.0.0.9', 'udp', 68, 67))?.verdict).toBe('drop');
    expect(fixedEgress(packet('IPv4', '10.0.0.5', '10.0.0.9', 'tcp', 67, 68))).toBeUndefined();
    expect(fixedEgress(packet('IPv6', '::', 'ff02::1:ff00:10', 'ipv6-icmp', 135, 0))?.verdict).toBe('accept-before-spoof');
    expect(fixedEgress(packet('IPv6', '::', 'fd00::1', 'ipv6-icmp', 135, 0))?.verdict).toBe('accept');
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'ff02::1', 'ipv6-icmp', 134, 0))).toEqual({ verdict: 'drop', why: 'instances may not send router advertisements' });
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'fd00::1', 'ipv6-icmp', 128, 0))?.verdict).toBe('accept');
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'ff02::1:2', 'udp', 547, 546))?.verdict).toBe('accept');
    expect(fixedEgress(packet('IPv6', 'fd00::10', 'fd00::2', 'udp', 546, 547))?.verdict).toBe('drop');
    expect(fixedIngress(packet('IPv6', 'fd00::1', 'fd00::10', 'ipv6-icmp', 135, 0))).toBe('NDP and MLD are let in');
    expect(fixedIngress(packet('IPv6', 'fd00::1', 'fd00::10', 'ipv6-icmp', 128, 0))).toBeUndefined();
    expect(fixedIngress(packet('IPv4', '10.0.0.1', '10.0.0.5', 'icmp', 8, 0))).toBeUndefined();
  });

  test('a port with an IPv6 address and no ingress rule admits router advertisements only, as its chain does', () => {
    const s = snapshot([port('a', ['fd00::10'], ['none']), port('b', ['fd00::20'], ['open'])], ['none', 'open'], [
      rule('out', 'open', { direction: 'egress', ethertype: 'IPv6', protocol: null }),
    ]);
    const cloud = buildCloud(s);
    expect(canReach(cloud, { src: 'b', dst: 'a', protocol: 'ipv6-icmp', port: 128 }).verdict).toBe('DENY');
    const pp = cloud.policy('a');
    const ra = packet('IPv6', 'fe80::1', 'ff02::1', 'ipv6-icmp', 134, 0);
    expect(portAdmits(pp, 'ingress', ra, cloud.members, false)).toBe(true);
    expect(portAdmits(pp, 'ingress', { ...ra, dport: 128 }, cloud.members, false)).toBe(false);
  });
});

describe('pairs that make up the whole space together', () => {
  const s = snapshot([
    port('lo', ['10.10.10.11'], ['ssh'], ['0.0.0.0/1']),
    port('hi', ['10.10.10.12'], ['ssh'], ['128.0.0.0/1']),
    port('db', ['10.10.10.30'], ['db']),
  ], ['ssh', 'db'], [rule('mysql', 'db', { port_range_min: 3306, port_range_max: 3306, remote_group_id: 'ssh' })]);

  test('exposure shows the whole space, and the audit reports the admin port open to the world, with both pairs', () => {
    const cloud = buildCloud(s);
    expect(exposure(cloud, [cloud.ports.get('db')!]).map((r) => r.sources)).toEqual([['0.0.0.0/0']]);
    const [admin] = audit(cloud).filter((f) => f.check === 'admin-port-open-to-world');
    expect(admin.severity).toBe('critical');
    expect(admin.evidence[0]).toBe('rule mysql: ingress IPv4 tcp/3306 via remote group ssh, whose member lo has allowed-address pair 0.0.0.0/1 and member hi has allowed-address pair 128.0.0.0/1');
    expect(admin.objects.filter((o) => o.type === 'port').map((o) => o.id)).toEqual(['db']);
  });
});

/** A random cloud: ports with and without fixed IPs, wide and narrow pairs (alone or halves of a wider block), rules naming groups. */
const GROUPS = ['g0', 'g1', 'g2', 'g3'];
const PAIRS = ['0.0.0.0/0', '0.0.0.0/1', '128.0.0.0/1', '10.0.0.0/8', '11.0.0.0/8', '10.10.10.200', '192.168.0.0/16', '::/0', '::/1', '8000::/1', 'fd00::99'];
const V4 = ['10.10.10.11', '10.10.10.12', '10.10.10.13', '10.10.10.14'];
const V6 = ['fd00::11', 'fd00::12'];

const ruleArb = fc.record({
  group: fc.constantFrom(...GROUPS), direction: fc.constantFrom('ingress' as const, 'egress' as const), ethertype: fc.constantFrom('IPv4' as const, 'IPv6' as const),
  protocol: fc.constantFrom('tcp', 'udp', null), port: fc.constantFrom(null, 22, 80, 3306),
  remote: fc.oneof(fc.constantFrom(...GROUPS).map((g) => ({ group: g })), fc.constantFrom(null, '0.0.0.0/0', '10.0.0.0/8', '::/0').map((p) => ({ prefix: p }))),
});
const portArb = fc.record({
  fixed: fc.subarray([...V4, ...V6], { maxLength: 2 }), pairs: fc.subarray(PAIRS, { maxLength: 3 }), groups: fc.subarray(GROUPS, { maxLength: 2 }),
  security: fc.constantFrom(true, true, true, false), owner: fc.constantFrom('compute:nova', 'compute:nova', 'network:router_interface'),
});
const cloudArb = fc.record({
  ports: fc.array(portArb, { minLength: 1, maxLength: 7 }), rules: fc.array(ruleArb, { maxLength: 10 }),
  options: fc.record({
    sgInfoSource: fc.constantFrom('server_rpc' as const, 'agent_shim' as const), enableIpset: fc.boolean(),
    omitWidePairs: fc.constantFrom(null, { IPv4: 0, IPv6: 0 }, { IPv4: 4, IPv6: 8 }),
  }),
  widePair: fc.constantFrom<AuditOptions['widePair']>(DEFAULT_AUDIT_OPTIONS.widePair, { IPv4: 0, IPv6: 0 }, { IPv4: 8, IPv6: 16 }),
});

function randomSnapshot(c: ArbitraryValue<typeof cloudArb>): Snapshot {
  const used = new Set<string>();
  const ports = c.ports.map((p, i) => {
    // a fixed IP belongs to one port; a port without port security has neither pairs nor groups (Neutron refuses them)
    const fixed = p.fixed.filter((ip) => !used.has(ip) && !!used.add(ip));
    return { ...port(`p${i}`, fixed, p.security ? p.groups : [], p.security ? p.pairs : []), device_owner: p.owner, port_security_enabled: p.security };
  });
  const rules = c.rules.map((r, i) => rule(`r${i}`, r.group, {
    direction: r.direction, ethertype: r.ethertype, protocol: r.protocol, port_range_min: r.protocol && r.port, port_range_max: r.protocol && r.port,
    remote_group_id: 'group' in r.remote ? r.remote.group : null,
    remote_ip_prefix: 'prefix' in r.remote && r.remote.prefix && r.remote.prefix.includes(':') === (r.ethertype === 'IPv6') ? r.remote.prefix : null,
  }));
  return snapshot(ports, GROUPS, rules);
}

/** Whether the CIDRs cover the block (sources are a minimal cover: an aligned block inside their union lies in one of them). */
const covered = (sources: string[], block: string) => {
  const b = intervalOf(block);
  return sources.some((s) => {
    const x = intervalOf(s);
    return x.family === b.family && x.interval[0] <= b.interval[0] && b.interval[1] <= x.interval[1];
  });
};

const ADDRESS = /(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,2})?|(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:\/\d{1,3})?/gi;
const MAC = /^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

describe('property: the audit\'s wide-pair findings are what exposure shows', () => {
  test('opened ports show the pair\'s block in their exposure; no finding names an address the IR leaves out', () => {
    fc.assert(fc.property(cloudArb, (c) => {
      const cloud = buildCloud(randomSnapshot(c), c.options);
      const found = pitfalls(cloud, { widePair: c.widePair });
      // one finding per pitfall, in the same order
      const findings = widePairFindings(cloud, { ...DEFAULT_AUDIT_OPTIONS, widePair: c.widePair });
      expect(findings.map((f) => f.objects[1].id)).toEqual(found.map((x) => x.port.id));
      found.forEach(({ port: holder, pair, groupId, rules, block }, i) => {
        const members = cloud.members(groupId, block.family);
        expect(members.some((m) => m.portId === holder.id && m.ip === pair.ip_address && m.via === 'address_pair')).toBe(true);
        // the ports the finding says are opened: every filtered port of the rules' groups, each showing the block on every ingress rule's service
        const opened = findings[i].objects.slice(2 + 2 * rules.length).map((o) => o.id);
        const inForce = cloud.snapshot.ports.filter((p) => cloud.kind(p.id) === 'filtered' && rules.some((r) => p.security_groups.includes(r.security_group_id)));
        expect(new Set(opened)).toEqual(new Set(inForce.map((p) => p.id)));
        for (const p of inForce) {
          const pp = cloud.policy(p.id);
          for (const r of pp.groupRules) {
            if (r.direction !== 'ingress' || r.origin.kind !== 'group') continue;
            const ruleId = r.origin.ruleId;
            if (!rules.some((x) => x.id === ruleId)) continue;
            const key = `${r.ethertype}|${r.protocol ?? 'any'}|${serviceText(r)}`;
            const row = portExposure(cloud, p).find((x) => `${x.ethertype}|${x.protocol}|${x.ports}` === key);
            expect(row && covered(row.sources, block.cidr), `${p.id} exposure for ${key} covers ${block.cidr}`).toBe(true);
          }
        }
      });
      // every address a finding names is a member the IR gives its group, or the block they make up
      for (const f of findings) {
        const groupId = f.objects[0].id;
        const known = new Set([...cloud.members(groupId, 'IPv4'), ...cloud.members(groupId, 'IPv6')].map((m) => m.ip));
        const blocks = new Set(found.filter((x) => x.groupId === groupId).map((x) => x.block.cidr));
        for (const a of `${f.title}\n${f.evidence.join('\n')}`.match(ADDRESS) ?? []) {
          // MACs and a bare "::" match the pattern too
          if (MAC.test(a) || a.length < 3) continue;
          expect(known.has(a) || blocks.has(a), `${a} in ${f.title}`).toBe(true);
        }
      }
    }), { numRuns: 400 });
  });
});

describe('property: admin ports open to the world are what exposure shows', () => {
  test('a finding names exactly the filtered ports where one rule admits the whole space on an admin port', () => {
    const admin = [22, 3306];
    fc.assert(fc.property(cloudArb, (c) => {
      const cloud = buildCloud(randomSnapshot(c), c.options);
      const reported = new Set(audit(cloud, { ...DEFAULT_AUDIT_OPTIONS, adminPorts: admin }, undefined, ['admin-port'])
        .flatMap((f) => f.objects.filter((o) => o.type === 'port').map((o) => `${f.objects[1].id} ${o.id}`)));
      const expected = new Set<string>();
      for (const p of cloud.snapshot.ports) {
        const pp = cloud.policy(p.id);
        if (pp.kind !== 'filtered') continue;
        for (const r of pp.groupRules) {
          if (r.direction !== 'ingress' || r.origin.kind !== 'group' || !(r.protocol === null || ['tcp', 'udp'].includes(r.protocol))) continue;
          if (r.portMin !== null && !admin.some((n) => n >= r.portMin! && n <= r.portMax!)) continue;
          const sources = ruleSources(cloud, pp, r).map((x) => intervalOf(x.cidr).interval);
          if (isEverything(union(r.ethertype === 'IPv4' ? 4 : 6, sources))) expected.add(`${r.origin.ruleId} ${p.id}`);
        }
      }
      expect([...reported].sort()).toEqual([...expected].sort());
    }), { numRuns: 400 });
  });
});

/**
 * The guard against the audit, over real HTTP: two servers take the same random writes,
 * one warning (its findings before and after each write tell whether the audit reports a
 * new pitfall), one refusing. The warning server warns, and the refusing one refuses,
 * exactly when the audit would report a pitfall the write made; a refused write is undone
 * on the warning server, so both keep the same cloud. Both judge by their one default
 * threshold: a block wider than the subnet of a port whose pairs make it up.
 */
// as Neutron expands remote groups, and with safe expansion leaving /0 pairs out (the halves of one still count)
describe.sequential.each([
  { flags: [], refusals: 10 },
  { flags: ['--omit-wide-pairs', '0'], refusals: 0 },
])('property: the guard refuses exactly the writes after which the audit reports a new pitfall ($flags)', ({ flags, refusals }) => {
  const adminHeaders = as('admin', 'admin');
  interface World { url: string; net: string; subnet: string; groups: string[]; ports: string[]; rules: string[] }
  let servers: RunningServer[] = [];
  let warn: World;
  let reject: World;

  const call = async (w: World, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${w.url}${path}`, { method, headers: adminHeaders, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, warning: res.headers.get('x-portsec-warning') };
  };

  async function world(url: string): Promise<World> {
    const w: World = { url, net: '', subnet: '', groups: [], ports: [], rules: [] };
    w.net = (await call(w, 'POST', '/v2.0/networks', { network: { name: 'n' } })).body.network.id;
    w.subnet = (await call(w, 'POST', '/v2.0/subnets', { subnet: { network_id: w.net, cidr: '10.3.0.0/24', ip_version: 4 } })).body.subnet.id;
    await call(w, 'POST', '/v2.0/subnets', { subnet: { network_id: w.net, cidr: 'fd00:3::/64', ip_version: 6 } });
    for (const name of ['a', 'b', 'c']) w.groups.push((await call(w, 'POST', '/v2.0/security-groups', { security_group: { name } })).body.security_group.id);
    return w;
  }

  beforeAll(async () => {
    servers = await Promise.all(['warn', 'reject'].map((mode) => startServer(['--auth', 'trusted-headers', '--guard', `wide-pair-in-remote-group=${mode}`, ...flags])));
    [warn, reject] = await Promise.all(servers.map((s) => world(s.url)));
  }, 60_000);
  afterAll(async () => { await Promise.all(servers.map((s) => s.stop())); });

  /** The audit's pitfalls as (rule, block) pairs, from the warning server's findings. */
  const pitfallsOf = async () => ((await call(warn, 'GET', '/analysis/v1/findings')).body.findings as Finding[])
    .filter((f) => f.check.startsWith('wide-pair'))
    .flatMap((f) => f.objects.filter((o) => o.type === 'security_group_rule').map((o) => ({ rule: o.id, block: / to (\S+)$/.exec(f.title)![1] })));
  const inside = (a: string, b: string) => {
    const x = intervalOf(a);
    const y = intervalOf(b);
    return x.family === y.family && y.interval[0] <= x.interval[0] && x.interval[1] <= y.interval[1];
  };

  // a /0 alone or as two halves over two ports, in the groups rules name or in the default group (ports given no groups)
  const pairsArb = fc.constantFrom([], ['0.0.0.0/0'], ['0.0.0.0/1'], ['128.0.0.0/1'], ['0.0.0.0/1', '128.0.0.0/1'], ['10.3.0.77', '::/0'], ['::/1'], ['8000::/1', '0.0.0.0/0'])
    .map((ips) => ips.map((ip_address) => ({ ip_address })));
  const groupsArb = fc.oneof(fc.constant(undefined), fc.constant([]), fc.subarray([0, 1, 2], { minLength: 1, maxLength: 2 }));
  const op = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('create-port' as const), fixed: fc.constantFrom(true, true, false), pairs: pairsArb, groups: groupsArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('update-port' as const), port: fc.nat(), fixed: fc.option(fc.boolean(), { nil: undefined }), pairs: fc.option(pairsArb, { nil: undefined }), groups: groupsArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('create-rule' as const), group: fc.nat(2), remote: fc.constantFrom(0, 1, 2, 0, 1, 2, 3), ethertype: fc.constantFrom('IPv4', 'IPv6'), port: fc.constantFrom(22, 80, 443) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete-port' as const), port: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete-rule' as const), rule: fc.nat() }) },
  );
  type Op = ArbitraryValue<typeof op>;

  /** The request an op makes on one server (ids resolved in its own world), and how to undo it. */
  async function apply(w: World, o: Op): Promise<{ res: Awaited<ReturnType<typeof call>>; undo?: () => Promise<unknown> }> {
    const groups = (g: readonly number[] | undefined) => (g === undefined ? {} : { security_groups: g.map((i) => w.groups[i]) });
    // a port gains a fixed IP from the IPv4 subnet, or loses all of them
    const fixed = (f: boolean | undefined) => (f === undefined ? {} : { fixed_ips: f ? [{ subnet_id: w.subnet }] : [] });
    switch (o.kind) {
      case 'create-port': {
        const res = await call(w, 'POST', '/v2.0/ports', { port: { network_id: w.net, allowed_address_pairs: o.pairs, ...groups(o.groups), ...(o.fixed ? {} : { fixed_ips: [] }) } });
        if (res.status === 201) w.ports.push(res.body.port.id);
        return { res, undo: async () => { w.ports.pop(); return call(w, 'DELETE', `/v2.0/ports/${res.body.port.id}`); } };
      }
      case 'update-port': {
        if (!w.ports.length) return { res: { status: 0, body: undefined, warning: null } };
        const id = w.ports[o.port % w.ports.length];
        const old = (await call(w, 'GET', `/v2.0/ports/${id}`)).body.port;
        const res = await call(w, 'PUT', `/v2.0/ports/${id}`, { port: { ...(o.pairs ? { allowed_address_pairs: o.pairs } : {}), ...groups(o.groups), ...fixed(o.fixed) } });
        const restore = { allowed_address_pairs: old.allowed_address_pairs, security_groups: old.security_groups, fixed_ips: old.fixed_ips.map((f: { subnet_id: string; ip_address: string }) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })) };
        return { res, undo: () => call(w, 'PUT', `/v2.0/ports/${id}`, { port: restore }) };
      }
      case 'create-rule': {
        const remote = o.remote < 3 ? w.groups[o.remote] : undefined;
        const rule = { security_group_id: w.groups[o.group], direction: 'ingress', ethertype: o.ethertype, protocol: 'tcp', port_range_min: o.port, port_range_max: o.port, remote_group_id: remote ?? null };
        const res = await call(w, 'POST', '/v2.0/security-group-rules', { security_group_rule: rule });
        if (res.status === 201) w.rules.push(res.body.security_group_rule.id);
        return { res, undo: async () => { w.rules.pop(); return call(w, 'DELETE', `/v2.0/security-group-rules/${res.body.security_group_rule.id}`); } };
      }
      case 'delete-port': {
        if (!w.ports.length) return { res: { status: 0, body: undefined, warning: null } };
        const [id] = w.ports.splice(o.port % w.ports.length, 1);
        return { res: await call(w, 'DELETE', `/v2.0/ports/${id}`) };
      }
      case 'delete-rule': {
        if (!w.rules.length) return { res: { status: 0, body: undefined, warning: null } };
        const [id] = w.rules.splice(o.rule % w.rules.length, 1);
        return { res: await call(w, 'DELETE', `/v2.0/security-group-rules/${id}`) };
      }
    }
  }

  test('random writes on ports and rules', async () => {
    let writes = 0;
    let refused = 0;
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
      for (const o of ops) {
        const before = await pitfallsOf();
        const w = await apply(warn, o);
        const after = await pitfallsOf();
        const fresh = after.filter((a) => !before.some((b) => b.rule === a.rule && inside(a.block, b.block)));
        expect(!!w.res.warning, `${JSON.stringify(o)}: warning ${w.res.warning}, new pitfalls ${JSON.stringify(fresh)}`).toBe(fresh.length > 0);
        const r = await apply(reject, o);
        if (fresh.length) {
          expect(r.res.status, JSON.stringify(o)).toBe(409);
          expect(r.res.body.NeutronError.type).toBe('WidePairInRemoteGroup');
          refused++;
          // the refused write changed nothing on the refusing server: take it back on the warning one
          await w.undo!();
          expect(await pitfallsOf()).toEqual(before);
        } else {
          expect(r.res.status, `${JSON.stringify(o)}: ${JSON.stringify(r.res.body)}`).toBe(w.res.status);
        }
        writes++;
      }
      // end each run with no ports and rules of its own
      for (const x of [warn, reject]) {
        for (const id of x.ports.splice(0)) await call(x, 'DELETE', `/v2.0/ports/${id}`);
        for (const id of x.rules.splice(0)) await call(x, 'DELETE', `/v2.0/security-group-rules/${id}`);
      }
    }), { numRuns: 60, endOnFailure: true });
    // the runs exercised both answers
    console.log(`guard property: ${writes} writes, ${refused} refused`);
    expect(refused).toBeGreaterThan(refusals);
    expect(writes - refused).toBeGreaterThan(50);
  }, 600_000);
});
