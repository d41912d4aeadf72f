/**
 * Fixes never make things worse: every fix the audit offers, on the seed (its /0 and its /1
 * split), the keepalived VIP cloud and a seeded random 200-group cloud, is applied to the snapshot
 * and checked apart from its own proof — the finding gone, no new finding, no port exposed to a
 * source it was not before, and no flow can-reach denied before allowed after (but what the fix
 * exists to restore). Fixes that would open something (the new group's stock egress: bug (a)) are refused.
 */
import { describe, expect, test } from 'vitest';
import { type Finding, type ReachQuery } from '../src/analysis/answers.js';
import { audit } from '../src/analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../src/analysis/audit/options.js';
import { buildCloud, type Cloud } from '../src/analysis/cloud.js';
import { exposure } from '../src/analysis/exposure.js';
import { applyFix, FixRefused } from '../src/analysis/fix/apply.js';
import { fixScript } from '../src/analysis/fix/script.js';
import { fixesFor, prove, verdict } from '../src/analysis/fix/prove.js';
import { type Fix, type FlowChange } from '../src/analysis/fix/types.js';
import { intervalOf } from '../src/analysis/ranges.js';
import { canReach } from '../src/analysis/reach.js';
import { type Snapshot, type SnapshotPort, type SnapshotRule } from '../src/analysis/snapshot.js';
import { seededRandom } from '../src/model/random.js';
import { type CompileOptions } from '../src/policy/topology.js';
import { seedCloud, vipCloud } from './support/migration-clouds.js';
import { Dice } from './support/random-cloud.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';
import { topologySnapshot } from './support/topology-snapshot.js';

const O: AuditOptions = DEFAULT_AUDIT_OPTIONS;
const totals = { findings: 0, offered: 0, refused: 0, proofMs: 0, checked: 0 };

const contains = (outer: string, inner: string) => {
  const o = intervalOf(outer.includes('/') ? outer : `${outer}/${outer.includes(':') ? 128 : 32}`);
  const i = intervalOf(inner.includes('/') ? inner : `${inner}/${inner.includes(':') ? 128 : 32}`);
  return o.family === i.family && o.interval[0] <= i.interval[0] && i.interval[1] <= o.interval[1];
};

/** Whether a restore of the fix holds this flow (the test's own reading of `restores`). */
const restoredFlow = (restores: readonly FlowChange[], q: ReachQuery, src: string, dst: string) => restores.some((r) =>
  (r.protocol === 'any' || r.protocol === q.protocol) && (r.ports === 'any' || r.ports === String(q.port ?? 'any'))
  && contains(r.destination.address, dst) && r.sources.some((s) => contains(s, src)) && (!r.senders.length || r.senders.some((s) => s.id === q.src)));

/** Per port and service (the ports each exposure row names, sampled at its ends): the sources admitted, as intervals. */
function admitted(cloud: Cloud, portId: string, protocol: string, n: number | null): [bigint, bigint][] {
  return exposure(cloud, [cloud.ports.get(portId)!]).filter((r) => {
    if (r.protocol !== 'any' && r.protocol !== protocol) return false;
    if (r.ports === 'any' || n === null) return true;
    const [lo, hi] = r.ports.split('-').map(Number);
    return n >= lo && n <= (hi ?? lo);
  }).flatMap((r) => r.sources.map((s) => intervalOf(s).interval));
}

/** Exposure after ⊆ exposure before, per port and service. */
function exposureNoWider(before: Cloud, after: Cloud): string[] {
  const bad: string[] = [];
  for (const p of after.snapshot.ports) {
    for (const row of exposure(after, [p])) {
      const ends = row.ports === 'any' ? [null] : row.ports.split('-').map(Number);
      for (const n of ends) {
        const was = admitted(before, p.id, row.protocol, n);
        for (const s of row.sources) {
          const [lo, hi] = intervalOf(s).interval;
          // one interval of the before side holds it, or the before intervals together do
          const covered = was.filter(([a, b]) => a <= hi && b >= lo).sort((x, y) => (x[0] < y[0] ? -1 : 1));
          let next = lo;
          for (const [a, b] of covered) if (a <= next && b >= next) next = b + 1n;
          if (next <= hi) bad.push(`${p.id} ${row.protocol}/${n ?? 'any'} from ${s}`);
        }
      }
    }
  }
  return bad;
}

const SERVICES: Pick<ReachQuery, 'protocol' | 'port'>[] = [{ protocol: 'tcp', port: 22 }, { protocol: 'tcp', port: 80 }, { protocol: 'tcp', port: 443 }, { protocol: 'udp', port: 53 }, { protocol: 'vrrp' }, { protocol: 'icmp', port: 8 }];

/** can-reach on sampled flows: each port pair and service, and from random foreign sources through each port. */
function sampledFlows(cloud: Cloud, dice: Dice, pairs = Infinity): ReachQuery[] {
  const ports = cloud.snapshot.ports.filter((p) => p.fixed_ips.length);
  const out: ReachQuery[] = [];
  const chosen = dice.some(ports.flatMap((a) => ports.filter((b) => b !== a).map((b) => [a, b] as const)), pairs);
  for (const [a, b] of chosen) {
    for (const s of SERVICES) out.push({ src: a.id, dst: b.id, ...s });
    out.push({ src: a.id, dst: b.id, ...dice.pick(SERVICES), sourceIp: dice.publicAddress() });
    out.push({ src: a.id, dst: b.id, ...dice.pick(SERVICES), sourceIp: dice.addressIn('10.0.0.0/8') });
  }
  return out;
}

const ask = (cloud: Cloud, q: ReachQuery) => {
  try {
    const a = canReach(cloud, q);
    return { verdict: a.verdict, src: q.sourceIp ?? cloud.ports.get(q.src)?.fixed_ips[0]?.ip_address ?? q.src, dst: cloud.ports.get(q.dst)?.fixed_ips[0]?.ip_address ?? q.dst };
  } catch {
    return undefined;
  }
};

/** Every finding's fixes proven, every offered one checked on its own; the refused say why. */
function checkAll(name: string, s: Snapshot, build: Partial<CompileOptions>, flowPairs = Infinity): { findings: Finding[]; fixes: Map<string, Fix[]> } {
  const cloud = buildCloud(s, build);
  const findings = audit(cloud, O);
  const fixes = new Map<string, Fix[]>();
  const dice = new Dice(seededRandom(findings.length + 15));
  const flows = sampledFlows(cloud, dice, flowPairs);
  const before = flows.map((q) => ask(cloud, q));
  for (const f of findings) {
    const t0 = performance.now();
    const { offered, refused } = fixesFor(cloud, f, O, findings);
    totals.proofMs += performance.now() - t0;
    totals.findings++;
    totals.offered += offered.length;
    totals.refused += refused.length;
    fixes.set(f.id, offered);
    for (const r of refused) expect(r.why, `${name} ${f.id} ${r.fix.kind}`).toMatch(/\w/);
    for (const fix of offered) {
      const label = `${name} ${f.id} ${fix.kind}`;
      expect(fixScript(fix.actions).join('\n'), label).not.toMatch(/<[^>]*>|# or/);
      const after = buildCloud(applyFix(s, fix.actions), build);
      const again = audit(after, O);
      // the same finding is the same id, or the same words when only what it names shrank (a rule or port fewer)
      const same = (x: Finding, y: Finding) => x.id === y.id || (x.check === y.check && x.title === y.title);
      expect(again.filter((x) => same(x, f)).map((x) => x.id), label).toEqual([]);
      expect(again.filter((x) => !findings.some((y) => same(x, y))).map((x) => x.id), label).toEqual([]);
      if (!fix.restores?.length) expect(exposureNoWider(cloud, after), label).toEqual([]);
      flows.forEach((q, i) => {
        const was = before[i];
        const now = ask(after, q);
        if (was?.verdict === 'DENY' && now?.verdict === 'ALLOW') {
          expect(restoredFlow(fix.restores ?? [], q, now.src, now.dst), `${label}: ${JSON.stringify(q)} opened`).toBe(true);
        }
        totals.checked++;
      });
    }
  }
  return { findings, fixes };
}

const seed = (pairs: string[]) => topologySnapshot(seedCloud(pairs, 'iptables'), `seed ${pairs.join(' ')}`);
const IPTABLES: Partial<CompileOptions> = { backend: 'iptables' };

describe('fix proofs', () => {
  for (const pairs of [['0.0.0.0/0'], ['0.0.0.0/1', '128.0.0.0/1']]) {
    test(`the seed with ${pairs.join(' + ')}: every finding has a fix, and every fix opens nothing and removes its finding`, () => {
      const { findings, fixes } = checkAll(`seed ${pairs}`, seed(pairs), IPTABLES);
      expect(findings.map((f) => f.check)).toContain('wide-pair-in-remote-group');
      for (const f of findings) expect(fixes.get(f.id)!.length, `${f.id} ${f.title}`).toBeGreaterThan(0);
    });
  }

  test('the seed\'s wide pair: (a) keeps the NAT server\'s own access to proxy tcp/80 and closes only the foreign sources; (b) lists it as closed', () => {
    const s = seed(['0.0.0.0/0']);
    const cloud = buildCloud(s, IPTABLES);
    const f = audit(cloud, O).find((x) => x.check === 'wide-pair-in-remote-group')!;
    const { offered } = fixesFor(cloud, f, O);
    const keep = offered.find((x) => x.kind === 'move-port-to-own-group-keep-own-access')!;
    const plain = offered.find((x) => x.kind === 'move-port-to-own-group')!;
    const nat = (fl: FlowChange) => fl.senders.some((p) => p.id === 'nat');
    expect(keep.proof.closed.length).toBeGreaterThan(0);
    expect(keep.proof.closed.some((fl) => fl.destination.address === '10.10.10.30' && fl.sources.includes('10.10.10.10/32'))).toBe(false);
    expect(keep.proof.stayOpen.some((fl) => fl.destination.address === '10.10.10.30' && fl.sources.length === 0 && nat(fl))).toBe(true);
    expect(plain.proof.closed.some((fl) => fl.destination.address === '10.10.10.30' && fl.sources.includes('10.10.10.10/32') && nat(fl))).toBe(true);
    const after = buildCloud(applyFix(s, keep.actions), IPTABLES);
    expect(canReach(after, { src: 'nat', dst: 'proxy', protocol: 'tcp', port: 80 }).verdict).toBe('ALLOW');
    expect(canReach(after, { src: 'nat', dst: 'proxy', protocol: 'tcp', port: 80, sourceIp: '8.8.8.8' }).verdict).toBe('DENY');
    // the group is created in the port's owner's project; ssh lets out all IPv4 but no IPv6: the stock egress goes, ssh's own is copied
    expect(keep.actions[0]).toMatchObject({ op: 'create-group', project: 'golden', stockEgress: 'delete' });
    expect(keep.actions).toContainEqual(expect.objectContaining({ op: 'create-rule', rule: expect.objectContaining({ direction: 'egress', ethertype: 'IPv4', protocol: null }) }));
  });

  test('bug (a): a port whose egress was limited to tcp/443 must not gain tcp/22 from the new group\'s stock egress — the proof refuses it', () => {
    const s = snapshot([
      port('nat', ['10.10.10.10'], ['lim'], ['0.0.0.0/0']),
      port('peer', ['10.10.10.11'], ['lim']),
      port('proxy', ['10.10.10.30'], ['proxy']),
      port('bastion', ['10.10.10.40'], ['ssh']),
      // a router out of the cloud: what lim lets out reaches the internet
      port('gw', ['10.10.10.1'], [], [], { device_owner: 'network:router_interface', device_id: 'router-1', port_security_enabled: false }),
    ], ['lim', 'proxy', 'ssh'], [
      rule('lim-out', 'lim', { direction: 'egress', port_range_min: 443, port_range_max: 443 }),
      rule('proxy-out', 'proxy', { direction: 'egress', protocol: null }),
      rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'lim' }),
      rule('ssh-out', 'ssh', { direction: 'egress', protocol: null }),
      rule('ssh-in', 'ssh', { port_range_min: 22, port_range_max: 22 }),
    ]);
    const cloud = buildCloud(s, IPTABLES);
    const findings = audit(cloud, O);
    const f = findings.find((x) => x.check === 'wide-pair-in-remote-group')!;
    const { offered } = fixesFor(cloud, f, O, findings);
    expect(offered.length).toBeGreaterThan(0);
    for (const fix of offered) expect(fix.actions.find((a) => a.op === 'create-group')).toMatchObject({ stockEgress: 'delete' });
    // the same fix keeping Neutron's stock egress, as the old fix did
    const bad = offered[0];
    const kept = { ...bad, actions: bad.actions.map((a) => (a.op === 'create-group' ? { ...a, stockEgress: 'keep' as const } : a)) };
    const result = prove(cloud, f, kept, O, findings);
    if (!('proof' in result)) throw new Error(result.refusedBy);
    expect(result.proof.opened.some((fl) => fl.destination.address === '10.10.10.40' && fl.protocol === 'tcp' && fl.ports.split(', ').some((r) => contains22(r)) && fl.senders.some((p) => p.id === 'nat'))).toBe(true);
    // and out of the cloud: tcp/22 to any address no port holds (8.8.8.8 among them), which lim let out only to tcp/443
    const out = result.proof.opened.filter((fl) => fl.destination.ports.length === 0 && fl.senders.some((p) => p.id === 'nat') && fl.ports.split(', ').some((r) => contains22(r)));
    expect(out.map((fl) => fl.destination.address)).toContain('0.0.0.0/0');
    expect(verdict(kept, result.proof)).toMatch(/opens/);
    // the offered fix (stock egress deleted) opens nothing outside either
    const good = prove(cloud, f, offered[0], O, findings);
    if (!('proof' in good)) throw new Error(good.refusedBy);
    expect(good.proof.opened.filter((fl) => fl.destination.ports.length === 0)).toEqual([]);
  });

  test('Neutron\'s refusals are the fix\'s: a group in use is not deleted, a duplicate rule not created', () => {
    const s = seed(['0.0.0.0/0']);
    expect(() => applyFix(s, [{ op: 'delete-group', group: 'ssh' }])).toThrow(FixRefused);
    expect(() => applyFix(s, [{ op: 'create-rule', group: { id: 'proxy' }, rule: { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 80, port_range_max: 80, remote_ip_prefix: null, remote_group: { id: 'ssh' } } }])).toThrow(/already exists/);
    const made = applyFix(s, [{ op: 'create-group', as: 'g', name: 'g', project: 'golden', description: '', stockEgress: 'keep' }]);
    expect(made.security_group_rules.filter((r) => r.security_group_id.endsWith('-g')).map((r) => `${r.direction} ${r.ethertype} ${r.protocol}`)).toEqual(['egress IPv4 null', 'egress IPv6 null']);
    expect(applyFix(s, [{ op: 'refresh-members', group: 'ssh', network: 'net-1', project: 'golden', name: 'r' }])).toEqual({ ...s, security_groups: s.security_groups.map((g) => ({ ...g })) });
  });

  test('the keepalived VIP cloud: on ovn (the VIP pair is no member), and with ka2 lacking the VIP (iptables): each finding has a fix that restores only its flows', () => {
    const ovn = checkAll('vip ovn', topologySnapshot(vipCloud('ovn'), 'vip'), { backend: 'ovn' });
    const input = vipCloud('iptables');
    const lacking = { ...input, ports: input.ports.map((p) => (p.id === 'ka2' ? { ...p, allowed_address_pairs: [] } : p)) };
    const vip = checkAll('vip lacking', topologySnapshot(lacking, 'vip lacking'), IPTABLES);
    expect([...ovn.findings, ...vip.findings].map((f) => f.check).sort()).toEqual(expect.arrayContaining(['ovn-pair-not-member', 'vip-pair-missing']));
    for (const { findings, fixes } of [ovn, vip]) for (const f of findings) expect(fixes.get(f.id)!.length, `${f.id} ${f.title}`).toBeGreaterThan(0);
  });

  test('a seeded random 200-group cloud (150 ports): /0, /1 split, /8 and /32 pairs, limited egress, default groups', () => {
    const { findings } = checkAll('random', randomSnapshot(new Dice(seededRandom(15)), 150), IPTABLES, 60);
    expect(findings.length).toBeGreaterThan(10);
    console.log(`fix proofs: ${totals.findings} findings, ${totals.offered} fixes offered, ${totals.refused} refused, proofs ${Math.round(totals.proofMs)} ms in all, ${totals.checked} flows checked apart from the proofs`);
  }, 600_000);
});

const contains22 = (range: string) => {
  if (range === 'any') return true;
  const [lo, hi] = range.split('-').map(Number);
  return lo <= 22 && 22 <= (hi ?? lo);
};

/** 200 groups over `count` ports on two networks of two projects. */
function randomSnapshot(dice: Dice, count: number): Snapshot {
  const projects = ['pa', 'pb'];
  const nets = [{ id: 'n0', cidr: '10.20.0.0/22', base: [10, 20, 0] }, { id: 'n1', cidr: '10.30.0.0/22', base: [10, 30, 0] }];
  const groups = [...projects.map((p) => ({ id: `default-${p}`, name: 'default', project: p })), ...Array.from({ length: 198 }, (_, i) => ({ id: `g${i}`, name: `g${i}`, project: dice.pick(projects) }))];
  const rules: SnapshotRule[] = [];
  let n = 0;
  const add = (group: string, r: Partial<SnapshotRule>) => rules.push(rule(`r${n++}`, group, r));
  for (const g of groups) {
    if (g.name === 'default') {
      for (const ethertype of ['IPv4', 'IPv6'] as const) {
        add(g.id, { direction: 'egress', ethertype, protocol: null });
        add(g.id, { ethertype, protocol: null, remote_group_id: g.id });
      }
      continue;
    }
    if (dice.chance(0.6)) for (const ethertype of ['IPv4', 'IPv6'] as const) add(g.id, { direction: 'egress', ethertype, protocol: null });
    else add(g.id, { direction: 'egress', port_range_min: 443, port_range_max: 443, ...(dice.chance(0.3) && { remote_group_id: dice.pick(groups).id }) });
    for (let i = dice.int(0, 3); i > 0; i--) {
      const svc = dice.pick([22, 80, 443, 3389, 5432, 8080]);
      const remote = dice.weighted({ group: 4, net: 2, world: 1, host: 1 });
      add(g.id, {
        port_range_min: svc, port_range_max: svc,
        ...(remote === 'group' ? { remote_group_id: dice.pick(groups).id } : remote === 'net' ? { remote_ip_prefix: dice.pick(['10.0.0.0/8', '10.20.0.0/22', '10.30.0.0/24']) } : remote === 'host' ? { remote_ip_prefix: `10.20.0.${dice.int(2, 250)}/32` } : { remote_ip_prefix: '0.0.0.0/0' }),
      });
    }
    if (dice.chance(0.05)) add(g.id, { protocol: 'vrrp', remote_group_id: g.id });
  }
  const ports: SnapshotPort[] = [];
  for (let i = 0; i < count; i++) {
    const net = nets[i % 2];
    const project = dice.pick(projects);
    const ip = `${net.base[0]}.${net.base[1]}.${Math.floor(i / 250)}.${(i % 250) + 2}`;
    const own = groups.filter((g) => g.project === project);
    const kind = dice.weighted({ plain: 70, world: 2, split: 2, eight: 2, vip: 4, open: 2 });
    const pairs = kind === 'world' ? ['0.0.0.0/0'] : kind === 'split' ? ['0.0.0.0/1', '128.0.0.0/1'] : kind === 'eight' ? ['10.0.0.0/8'] : kind === 'vip' ? [`${net.base[0]}.${net.base[1]}.3.${dice.int(1, 3)}`] : [];
    const sgs = kind === 'open' ? [] : dice.chance(0.2) ? [`default-${project}`] : dice.some(own, dice.int(1, 2)).map((g) => g.id);
    ports.push(port(`p${i}`, [ip], sgs, pairs, { project_id: project, network_id: net.id, fixed_ips: [{ subnet_id: `s-${net.id}`, ip_address: ip }], ...(kind === 'open' && { port_security_enabled: false }) }));
  }
  return {
    source: 'random',
    networks: nets.map((x) => ({ id: x.id, name: x.id, project_id: 'pa' })),
    subnets: nets.map((x) => ({ id: `s-${x.id}`, name: x.id, network_id: x.id, ip_version: 4 as const, cidr: x.cidr, gateway_ip: null })),
    ports,
    security_groups: groups.map((g) => ({ id: g.id, name: g.name, project_id: g.project })),
    security_group_rules: rules,
  };
}
