/**
 * The ovn backend's "analyzer vs dataplane": real OVN agrees with the analyzer (issue 14,
 * acceptance 2; no root). For every golden-ovn fixture's input, the Northbound rows the
 * backend under test renders — the golden cases hold them equal to what Neutron 21's
 * ML2/OVN code wrote — are loaded into a real Northbound database, Debian's ovn-northd turns them into
 * logical flows, and ovn-trace follows random flows inside each logical switch
 * as new connections. Each flow is delivered when ovn-trace outputs it to the
 * destination port; `can-reach --backend ovn` on the fixture's input must say
 * ALLOW exactly then. Flows whose port security ovn-trace 23.03 simulates otherwise than
 * ovn-controller enforces it are traced on the rows with exact port-security entries
 * (exactPortSecurity, a second load of the fixture).
 *
 * PORTSEC_SEED=<n> replays a run (the seed is printed).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ReachAnswer } from '../../../src/analysis/answers.js';
import { buildCloud } from '../../../src/analysis/cloud.js';
import { canReach } from '../../../src/analysis/reach.js';
import { stepText } from '../../../src/analysis/report/explain.js';
import { type OvnNorthbound } from '../../../src/backends/ovn/backend.js';
import { type NbRows } from '../../../src/backends/ovn/rows.js';
import { formatIp, parseCidr, parseIp } from '../../../src/model/addresses.js';
import { eui64 } from '../../../src/model/ipam.js';
import { seededRandom } from '../../../src/model/random.js';
import { parseTopology } from '../../../src/policy/topology.js';
import { type OvnCentral, startOvnCentral } from '../../support/ovn-central.js';
import { type OvnFlow, OvnFlowPlanner } from '../../support/ovn-flows.js';
import { topologySnapshot } from '../../support/topology-snapshot.js';
import { fixturesFor } from '../fixtures.js';
import { type BackendUnderTest, type PlaneCase } from '../index.js';

const SEED = Number(process.env.PORTSEC_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** flows in all, spread over the fixtures that have a switch with two ports */
const FLOWS = 10_000;

interface Tally {
  flows: number;
  delivered: number;
  dropped: number;
  agreed: number;
  disagreements: string[];
  /** flows traced on rows with exact port-security entries (exactPortSecurity), of `flows` */
  exact: number;
  /** flows whose port security ovn-trace decides otherwise than ovn-controller even so */
  setAside: number;
  /** per source and destination kind: [flows, delivered] */
  byKind: Record<string, [number, number]>;
  /** what decided each flow, as can-reach tells it: the step that blocked it, or a fixed allowance it passed */
  byReason: Record<string, number>;
}

/** The step that decided a flow: the first that blocked it; if none, the fixed allowance or the delivery group it passed, else ALLOW. */
function reason(answer: ReachAnswer): string {
  const blocked = answer.steps.find((s) => !s.ok);
  const label = (s: ReachAnswer['steps'][number]) => (s.stage === 'egress' || s.stage === 'ingress' ? `${s.stage} ${s.by}` : s.stage === 'delivery' && s.group ? `delivery ${s.group}` : s.stage);
  if (blocked) return `DENY ${label(blocked)}`;
  const special = answer.steps.find((s) => ((s.stage === 'egress' || s.stage === 'ingress') && s.by === 'fixed') || (s.stage === 'delivery' && s.group));
  return special ? `ALLOW ${label(special)}` : 'ALLOW';
}


/**
 * Where ovn-trace 23.03 cannot stand for OVN: its check_in_port_sec and check_out_port_sec
 * (utilities/ovn-trace.c) read only the first port-security entry with the frame's MAC (the
 * Southbound set's order) and compare addresses exactly, prefix lengths aside, where
 * ovn-controller installs every entry and lets a prefix with host bits clear stand for its
 * network (controller/lflow.c): a port with a 0.0.0.0/0 pair sends any source there, only
 * 0.0.0.0 in ovn-trace, and Neutron writes a pair's MAC as the API spells it ("FA:16:…")
 * in an entry of its own beside the port's. A flow whose port-security checks the two decide
 * differently is traced on rows with exact entries (exactPortSecurity), or else set aside and counted.
 */
const LINK_LOCAL = parseCidr('fe80::/64')!;
type PortSecurity = { mac: string; addresses: { value: bigint; network: bigint; last: bigint; pinned: boolean; family: 4 | 6 }[] }[];

function portSecurity(entries: string[]): PortSecurity {
  return entries.slice().sort().map((e) => {
    const [mac, ...addresses] = e.split(/\s+/);
    return {
      mac: mac.toLowerCase(),
      addresses: addresses.map((a) => {
        const c = parseCidr(a, true)!;
        const bits = BigInt((c.family === 4 ? 32 : 128) - c.prefixlen);
        const network = (c.address >> bits) << bits;
        return { value: c.address, network, last: network | ((1n << bits) - 1n), pinned: c.address !== network, family: c.family };
      }),
    };
  });
}

/** whether the port security of a port lets the address through for this MAC: as ovn-trace simulates it, or as ovn-controller enforces it */
function portSecurityAllows(ps: PortSecurity, mac: string, family: 4 | 6, ip: bigint, way: 'in' | 'out', model: 'trace' | 'controller'): boolean {
  const entries = ps.filter((e) => e.mac === mac);
  const lla = family === 6 && ip === eui64(LINK_LOCAL, mac);
  const allows = (e: PortSecurity[number]) => {
    if (!e.addresses.length) return true;
    const mine = e.addresses.filter((a) => a.family === family);
    // ovn-trace lets a MAC's link-local address in even from an entry without IPv6 addresses, ovn-controller only with them
    if (lla && (mine.length || (model === 'trace' && way === 'in'))) return true;
    if (!mine.length) return false;
    return mine.some((a) => (model === 'trace' || a.pinned ? a.value === ip || (model === 'controller' && way === 'out' && family === 4 && a.last === ip) : ip >= a.network && ip <= a.last));
  };
  return model === 'trace' ? !!entries[0] && allows(entries[0]) : entries.some(allows);
}

type TracedFlow = Pick<OvnFlow, 'from' | 'to' | 'srcMac' | 'dstMac' | 'query'>;

type Check = { port: string; mac: string; ip: { family: 4 | 6; value: bigint }; way: 'in' | 'out' };

/** a flow's port-security checks: the sender's on its source, the destination's on its address unless the frame goes to a group MAC (eth.mcast skips it) */
const checksOf = (f: TracedFlow): Check[] => [
  { port: f.from, mac: f.srcMac, ip: parseIp(f.query.sourceIp)!, way: 'in' },
  ...((parseInt(f.dstMac.slice(0, 2), 16) & 1) === 0 ? [{ port: f.to, mac: f.dstMac, ip: parseIp(f.query.destinationIp)!, way: 'out' as const }] : []),
];

/** whether a port's port security passes a check (none: it passes everything); the well-known allowances (broadcast, multicast, link-local) are the same in both models */
const passes = (ps: PortSecurity, c: Check, model: 'trace' | 'controller') => !ps.length || portSecurityAllows(ps, c.mac, c.ip.family, c.ip.value, c.way, model);

const portSecurities = (rows: NbRows) => new Map(rows.logical_switch_ports.map((l) => [l.name, portSecurity(l.port_security)]));

/** whether ovn-trace's port-security checks decide the flow otherwise than ovn-controller's would (see above): such a flow proves nothing as it is */
export function traceSimplifies(rows: NbRows, f: TracedFlow): boolean {
  const ps = portSecurities(rows);
  return checksOf(f).some((c) => passes(ps.get(c.port)!, c, 'trace') !== passes(ps.get(c.port)!, c, 'controller'));
}

/**
 * Northbound rows on which ovn-trace decides port security as ovn-controller does for the
 * flows traceSimplifies finds: each port MAC such a flow disagrees on gets one
 * exact entry, "<MAC> <address>...", with the flows' addresses that ovn-controller admits
 * there (as source, or as unicast destination) in place of the MAC's entries. ovn-trace
 * reads only the first entry with the frame's MAC, in the order of the Southbound set, which
 * OVSDB sorts: the one entry left for the MAC is that first entry. Port security stands in no
 * address set: northd 23.03 builds a port group's $<pg>_ip4/_ip6 from its ports' `addresses`
 * and `dynamic_addresses` only (northd/en-sync-sb.c, build_port_group_address_set), and its
 * logical flows read port_security only to copy it to the Port_Binding and to learn FDB
 * entries on a port without it (northd/northd.c, build_lswitch_learn_fdb_op), which an exact
 * entry keeps: the ACLs, address sets and the rest of the pipeline are the real ones.
 * `traced` are the flows whose checks ovn-trace now decides as ovn-controller does on the
 * real rows (which also covers ovn-trace admitting what ovn-controller drops: the exact entry
 * holds only what ovn-controller admits). The rest stay set aside: ovn-trace lets a MAC's
 * link-local source in from any entry with the MAC, ovn-controller only from one with IPv6
 * addresses (MLD from the link-local address of a port with IPv4 only), and only a port
 * without an entry for the MAC would make ovn-trace drop it.
 */
export function exactPortSecurity<F extends TracedFlow>(rows: NbRows, flows: F[]): { rows: NbRows; traced: F[]; setAside: F[] } {
  const ps = portSecurities(rows);
  const key = (port: string, mac: string) => `${port} ${mac}`;
  const rewritten = new Map<string, Set<string>>();
  for (const f of flows) for (const c of checksOf(f)) if (passes(ps.get(c.port)!, c, 'trace') !== passes(ps.get(c.port)!, c, 'controller')) rewritten.set(key(c.port, c.mac), new Set());
  for (const f of flows) for (const c of checksOf(f)) if (passes(ps.get(c.port)!, c, 'controller')) rewritten.get(key(c.port, c.mac))?.add(formatIp(c.ip.family, c.ip.value));
  const exact = {
    ...rows,
    logical_switch_ports: rows.logical_switch_ports.map((l) => {
      const mine = [...rewritten].filter(([k, ips]) => k.startsWith(`${l.name} `) && ips.size).map(([k, ips]) => [k.slice(l.name.length + 1), ips] as const);
      if (!mine.length) return l;
      const macs = new Set(mine.map(([mac]) => mac));
      return { ...l, port_security: [...l.port_security.filter((e) => !macs.has(e.split(/\s+/)[0].toLowerCase())), ...mine.map(([mac, ips]) => [mac, ...ips].join(' '))] };
    }),
  };
  const after = portSecurities(exact);
  const traced: F[] = [];
  const setAside: F[] = [];
  for (const f of flows) (checksOf(f).every((c) => passes(after.get(c.port)!, c, 'trace') === passes(ps.get(c.port)!, c, 'controller')) ? traced : setAside).push(f);
  return { rows: exact, traced, setAside };
}

/** ovn-trace's minimal output names each logical port the packet is delivered to */
export const deliveredTo = (trace: string, port: string) => trace.includes(`output("${port}");`);

function disagreement(file: string, f: OvnFlow, trace: string, answer: ReachAnswer, exact: boolean): string {
  return [
    `${file}: ${f.text}${exact ? ' (exact port-security entries)' : ''}: ovn-trace ${deliveredTo(trace, f.to) ? 'DELIVERED' : 'DROPPED'}, can-reach ${answer.verdict}`,
    `  microflow ${f.microflow}`,
    `  query ${JSON.stringify(f.query)}`,
    ...trace.trim().split('\n').map((l) => `  | ${l}`),
    ...answer.steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.stage}: ${stepText(s)}`),
  ].join('\n');
}

function ovnTrace(b: BackendUnderTest<OvnNorthbound>): void {
  describe(`${b.name}: analyzer vs dataplane (can-reach vs ovn-trace after a real ovn-northd)`, () => {
    const fixtures = fixturesFor(b, 'analyzer vs dataplane');
    let ovn: OvnCentral | undefined;
    const tally: Tally = { flows: 0, delivered: 0, dropped: 0, agreed: 0, disagreements: [], exact: 0, setAside: 0, byKind: {}, byReason: {} };

    beforeAll(async () => {
      ovn = await startOvnCentral();
    });
    afterAll(async () => {
      await ovn?.stop();
    });

    test(`${FLOWS}+ random flows over the ${fixtures.length} ${b.fixtures} fixtures: every delivery is what can-reach says`, async () => {
      const started = Date.now();
      const rng = seededRandom(SEED);
      const planned = fixtures.map(([file, { input: { events: _events, ...input } }]) => {
        // the row source: the rows the backend renders for the input before its events (the golden cases: Neutron's `initial`)
        const rows: NbRows = b.create(parseTopology(input)).state;
        const snapshot = topologySnapshot(input, `fixture ${file}`);
        return { file, rows, snapshot, planner: new OvnFlowPlanner(rng, snapshot) };
      }).filter((p) => p.planner.usable);
      const perFixture = Math.ceil(FLOWS / planned.length);
      let traceMs = 0;
      for (const { file, rows, snapshot, planner } of planned) {
        const cloud = buildCloud(snapshot, { backend: 'ovn' });
        // the flows whose port security ovn-trace decides otherwise are traced on rows with exact entries (exactPortSecurity)
        let direct: OvnFlow[] = [];
        let exact: ReturnType<typeof exactPortSecurity<OvnFlow>> = { rows, traced: [], setAside: [] };
        const other: OvnFlow[] = [];
        for (let tries = 0; direct.length + exact.traced.length < perFixture && tries < 20; tries++) {
          for (let n = direct.length + exact.traced.length; n < perFixture; n++) {
            const f = planner.next();
            (traceSimplifies(rows, f) ? other : direct).push(f);
          }
          exact = exactPortSecurity(rows, other);
        }
        direct = direct.slice(0, perFixture - exact.traced.length);
        tally.setAside += exact.setAside.length;
        tally.exact += exact.traced.length;
        for (const [loaded, flows] of [[rows, direct], [exact.rows, exact.traced]] as const) {
          if (!flows.length) continue;
          await ovn!.load(loaded, flows.length);
          const t0 = Date.now();
          const traces = await Promise.all(flows.map((f) => ovn!.trace(f.microflow)));
          traceMs += Date.now() - t0;
          flows.forEach((f, i) => {
            const delivered = deliveredTo(traces[i], f.to);
            const answer = canReach(cloud, f.query);
            tally.flows++;
            tally[delivered ? 'delivered' : 'dropped']++;
            const why = reason(answer);
            tally.byReason[why] = (tally.byReason[why] ?? 0) + 1;
            const kind = (tally.byKind[`${f.source}->${f.destination}`] ??= [0, 0]);
            kind[0]++;
            kind[1] += Number(delivered);
            if (delivered === (answer.verdict === 'ALLOW')) tally.agreed++;
            else tally.disagreements.push(disagreement(file, f, traces[i], answer, flows !== direct));
          });
        }
      }
      const seconds = (Date.now() - started) / 1000;
      console.log(`PORTSEC_SEED=${SEED}: ${planned.length} fixtures, ${tally.flows} flows, ${tally.delivered} delivered, ${tally.dropped} dropped, ` +
        `${tally.agreed} agreed, ${tally.disagreements.length} disagreements; ${tally.flows - tally.exact} compared directly, ${tally.exact} with exact port-security entries, ` +
        `${tally.setAside} more set aside (ovn-trace's port security is not ovn-controller's even so); ${seconds.toFixed(1)} s (${(traceMs / 1000).toFixed(1)} s tracing)`);
      console.log(`can-reach's reasons: ${Object.entries(tally.byReason).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
      console.log(`delivered/flows by source -> destination kind: ${Object.entries(tally.byKind).sort().map(([k, [n, d]]) => `${k} ${d}/${n}`).join(', ')}`);
      expect(tally.flows).toBeGreaterThanOrEqual(FLOWS);
      // both outcomes occur: a harness that delivered everything (or nothing) could not disagree
      expect(tally.delivered).toBeGreaterThan(tally.flows / 20);
      expect(tally.dropped).toBeGreaterThan(tally.flows / 20);
      // the exact entries are exercised, and leave next to nothing aside
      expect(tally.exact).toBeGreaterThan(0);
      expect(tally.setAside).toBeLessThan(tally.flows / 100);
      expect(tally.disagreements.length, `PORTSEC_SEED=${SEED}: ${tally.disagreements.length} disagreements, the first ones:\n${tally.disagreements.slice(0, 15).join('\n')}`).toBe(0);
    }, 180_000);
  });
}

export const OVN_TRACE: PlaneCase<OvnNorthbound> = { part: 'unit', register: ovnTrace };
