// Seeded generator of golden.py inputs (one compute node: ports, security
// groups, optional events). Pure and deterministic: the same seed gives the
// same object. Every topology is meant to be accepted by the Neutron API
// (golden.py exits 2 otherwise; that would be a bug here).
//
// Plain ESM JavaScript because Node 20 cannot run TypeScript directly; the
// types are in topology-generator.d.mts.

/** mulberry32: small 32-bit seeded PRNG, returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded dice; another generator passes its own `mix` constants so its streams differ from these. */
export class Rng {
  constructor(seed, mix = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35]) {
    // mix the seed so that neighbouring seeds start far apart
    this.next = mulberry32(Math.imul((seed >>> 0) ^ mix[0], mix[1]) ^ mix[2]);
  }
  /** integer in [lo, hi] */
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p) {
    return this.next() < p;
  }
  pick(arr) {
    return arr[Math.floor(this.next() * arr.length)];
  }
  /** pick with weights: [[weight, value], ...] */
  weighted(pairs) {
    const live = pairs.filter(([w]) => w > 0);
    let x = this.next() * live.reduce((s, [w]) => s + w, 0);
    for (const [w, v] of live) if ((x -= w) < 0) return v;
    return live[live.length - 1][1];
  }
  hex(n) {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(0, 15)];
    return s;
  }
  byte() {
    return this.int(0, 255);
  }
  shuffle(arr) {
    const a = arr.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  /** k distinct elements, random order */
  sample(arr, k) {
    return this.shuffle(arr).slice(0, Math.min(k, arr.length));
  }
}

const hex2 = (n) => n.toString(16).padStart(2, '0');
const clone = (o) => JSON.parse(JSON.stringify(o));

function uuid(rng) {
  return `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.pick(['8', '9', 'a', 'b'])}${rng.hex(3)}-${rng.hex(12)}`;
}

/** UUID whose first `n` characters are not in `used` (the set is updated). */
function uniqueUuid(rng, used, n) {
  for (;;) {
    const id = uuid(rng);
    if (!used.has(id.slice(0, n))) {
      used.add(id.slice(0, n));
      return id;
    }
  }
}

const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17'];

function randomPorts(rng) {
  const kind = rng.weighted([
    [3, 'none'],
    [4, 'single'],
    [3, 'range'],
    [1, 'full'],
  ]);
  const common = [22, 80, 443, 53, 123, 3306, 5060, 8080, 3868, 9000];
  if (kind === 'none') return [null, null];
  if (kind === 'full') return [1, 65535]; // Neutron turns it into "no range"
  if (kind === 'single') {
    const p = rng.chance(0.6) ? rng.pick(common) : rng.int(1, 65535);
    return [p, p];
  }
  const lo = rng.chance(0.2) ? 1 : rng.int(1, 60000);
  const hi = rng.chance(0.15) ? 65535 : Math.min(65535, lo + rng.int(1, 2000));
  return [lo, hi];
}

function randomIcmp(rng) {
  const kind = rng.weighted([
    [4, 'none'],
    [3, 'type'],
    [3, 'typecode'],
  ]);
  if (kind === 'none') return [null, null];
  const type = rng.chance(0.7) ? rng.pick([0, 3, 8, 11, 128, 129, 133, 134, 135, 136]) : rng.int(0, 255);
  if (kind === 'type') return [type, null];
  return [type, rng.chance(0.7) ? rng.pick([0, 1, 3, 4]) : rng.int(0, 255)];
}

function randomV4Prefix(rng) {
  return rng.weighted([
    [2, () => '0.0.0.0/0'],
    [2, () => '10.1.2.3/16'], // host bits
    [3, () => `${rng.pick([10, 172, 192, 198, 203])}.${rng.byte()}.${rng.byte()}.${rng.byte()}/${rng.int(8, 32)}`],
    [2, () => `192.0.2.0/24`],
    [1, () => `198.51.100.${rng.int(1, 254)}`], // no mask: becomes /32
    [1, () => `203.0.113.${rng.int(1, 254)}/32`],
  ])();
}

function randomV6Prefix(rng) {
  return rng.weighted([
    [2, () => '::/0'],
    [2, () => `2001:db8:${rng.hex(2)}::${rng.int(1, 255).toString(16)}/64`], // host bits
    [2, () => `2001:db8::/32`],
    [2, () => `2001:db8:${rng.int(1, 0xffff).toString(16)}::/48`],
    [1, () => `2001:db8::${rng.int(1, 0xffff).toString(16)}/128`],
  ])();
}

function randomRule(rng, ctx, selfId) {
  const ethertype = rng.chance(0.62) ? 'IPv4' : 'IPv6';
  const direction = rng.chance(0.62) ? 'ingress' : 'egress';
  const v4Protos = [
    [5, null],
    [6, 'tcp'],
    [4, 'udp'],
    [4, 'icmp'],
    [1, 'sctp'],
    [1, 'dccp'],
    [1, 'udplite'],
    [1, 'gre'],
    [1, 'vrrp'],
    [1, '112'],
    [1, '6'],
    [1, '17'],
    [1, 'any'],
  ];
  const v6Protos = [...v4Protos, [4, 'ipv6-icmp'], [1, 'ICMP']];
  const protocol = rng.weighted(ethertype === 'IPv4' ? v4Protos : v6Protos);
  let [pmin, pmax] = [null, null];
  if (protocol !== null && PORT_PROTOCOLS.includes(protocol)) [pmin, pmax] = randomPorts(rng);
  else if (protocol !== null && ['icmp', 'ICMP', 'ipv6-icmp'].includes(protocol)) [pmin, pmax] = randomIcmp(rng);
  const rule = {
    id: uuid(rng),
    direction,
    ethertype,
    protocol,
    port_range_min: pmin,
    port_range_max: pmax,
    remote_ip_prefix: null,
    remote_group_id: null,
  };
  const remote = rng.weighted([
    [4, 'none'],
    [4, 'prefix'],
    [3, 'group'],
  ]);
  if (remote === 'prefix') rule.remote_ip_prefix = ethertype === 'IPv4' ? randomV4Prefix(rng) : randomV6Prefix(rng);
  else if (remote === 'group') rule.remote_group_id = rng.chance(0.4) ? selfId : rng.pick(ctx.sgIds);
  return rule;
}

function plainRule(rng, direction, ethertype, remoteGroup) {
  return {
    id: uuid(rng),
    direction,
    ethertype,
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: remoteGroup,
  };
}

const MAX_RULES = 25;

function randomMac(rng, ctx) {
  for (;;) {
    const mac = `fa:16:3e:${hex2(rng.byte())}:${hex2(rng.byte())}:${hex2(rng.byte())}`;
    if (!ctx.macs.has(mac)) {
      ctx.macs.add(mac);
      return mac;
    }
  }
}

function v6Text(prefix, n) {
  return `${prefix}${n.toString(16)}`;
}

/** a fresh address of the network, or null if it has no such subnet */
function allocIp(rng, ctx, net, family) {
  const sub = family === 4 ? net.v4 : net.v6;
  if (!sub) return null;
  for (;;) {
    const n = rng.int(3, 250);
    const ip = family === 4 ? `${sub.base}.${n}` : v6Text(sub.base, n);
    if (!ctx.ips.has(ip)) {
      ctx.ips.add(ip);
      return { ip_address: ip, subnet_id: sub.id };
    }
  }
}

function randomFixedIps(rng, ctx, net) {
  const kind = rng.weighted([
    [1, 'none'],
    [5, 'v4'],
    [2, 'v6'],
    [3, 'dual'],
    [1, 'two-v4'],
    [1, 'two-v6'],
  ]);
  const want = { none: [], v4: [4], v6: [6], dual: [4, 6], 'two-v4': [4, 4], 'two-v6': [6, 6] }[kind];
  // a family the network has no subnet for falls back to the other one
  return want.map((f) => allocIp(rng, ctx, net, (f === 4 ? net.v4 : net.v6) ? f : 10 - f));
}

function randomPair(rng, ctx, net, port) {
  const v4base = net.v4 ? net.v4.base : '10.99.0';
  const v6base = net.v6 ? net.v6.base : '2001:db8:99::';
  const ip = rng.weighted([
    [4, () => `${v4base}.${rng.int(1, 254)}`],
    [2, () => rng.pick(ctx.vips)], // shared VIPs: same address on several ports
    [2, () => `${v4base}.${rng.int(1, 254)}/${rng.int(24, 31)}`], // host bits, e.g. 10.1.1.5/28
    [1, () => '10.1.1.5/28'],
    [1, () => `${rng.pick([10, 172, 192])}.${rng.byte()}.${rng.byte()}.0/${rng.int(16, 24)}`],
    [2, () => '0.0.0.0/0'],
    [2, () => '::/0'],
    [2, () => v6Text(v6base, rng.int(0x100, 0xfff))],
    [1, () => `${v6base}${rng.hex(2)}/${rng.int(100, 127)}`], // host bits
    [1, () => `${v4base}.${rng.int(1, 254)}/32`],
  ])();
  const pair = { ip_address: ip };
  const macKind = rng.weighted([
    [6, 'none'],
    [2, 'random'],
    [1, 'vrrp'],
    [1, 'upper-random'],
    [1, 'upper-own'],
  ]);
  if (macKind === 'random') pair.mac_address = `fa:16:3e:${hex2(rng.byte())}:${hex2(rng.byte())}:${hex2(rng.byte())}`;
  else if (macKind === 'vrrp') pair.mac_address = `00:00:5e:00:01:${hex2(rng.int(1, 255))}`;
  else if (macKind === 'upper-random')
    pair.mac_address = `FA:16:3E:${hex2(rng.byte())}:${hex2(rng.byte())}:${hex2(rng.byte())}`.toUpperCase();
  else if (macKind === 'upper-own') pair.mac_address = port.mac_address.toUpperCase();
  return pair;
}

function randomPairs(rng, ctx, net, port) {
  const n = rng.weighted([
    [10, 0],
    [5, 1],
    [3, 2],
    [2, rng.int(3, 5)],
    [ctx.enableIpset ? 1 : 0.3, rng.int(6, 10)],
  ]);
  const pairs = [];
  const seen = new Set();
  for (let tries = 0; pairs.length < n && tries < 50; tries++) {
    const p = randomPair(rng, ctx, net, port);
    // the API refuses the same (ip, mac) twice on a port
    const key = `${p.ip_address}|${(p.mac_address ?? port.mac_address).toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push(p);
  }
  return pairs;
}

function randomSgList(rng, ctx) {
  // a port never mixes stateful and stateless groups
  const stateful = ctx.sgs.filter((s) => s.stateful).map((s) => s.id);
  const stateless = ctx.sgs.filter((s) => !s.stateful).map((s) => s.id);
  let pool;
  if (stateful.length && stateless.length) pool = rng.chance(0.5) ? stateful : stateless;
  else pool = stateful.length ? stateful : stateless;
  const k = rng.weighted([
    [1, 0],
    [12, 1],
    [5, 2],
    [2, 3],
  ]);
  return rng.sample(pool, k);
}

function makePort(rng, ctx, opts = {}) {
  const id = uniqueUuid(rng, ctx.portPrefixes, 11);
  const net = rng.pick(ctx.networks);
  const port = { id };
  if (ctx.driver === 'linuxbridge') port.device = 'tap' + id.slice(0, 11);
  port.network_id = net.id;
  port.mac_address = randomMac(rng, ctx);
  port.fixed_ips = randomFixedIps(rng, ctx, net);
  const kind = opts.kind ?? rng.weighted([
    [15, 'normal'],
    [2, 'portsec-off'],
  ]);
  if (kind === 'dhcp') {
    port.device_owner = 'network:dhcp';
    port.allowed_address_pairs = [];
    port.security_groups = [];
    port.port_security_enabled = true;
  } else if (kind === 'portsec-off') {
    port.device_owner = 'compute:nova';
    port.allowed_address_pairs = [];
    port.security_groups = [];
    port.port_security_enabled = false;
  } else {
    port.device_owner = 'compute:nova';
    port.allowed_address_pairs = randomPairs(rng, ctx, net, port);
    port.security_groups = randomSgList(rng, ctx);
    port.port_security_enabled = true;
  }
  const local = opts.local ?? (kind === 'dhcp' ? true : !rng.chance(0.2));
  if (!local) {
    port['binding:host_id'] = 'compute-2';
    port.local = false;
  }
  return port;
}

function netOf(ctx, port) {
  return ctx.networks.find((n) => n.id === port.network_id);
}

function totalRules(sgs) {
  return sgs.reduce((s, g) => s + g.security_group_rules.length, 0);
}

function mutatePort(rng, ctx, old) {
  const p = clone(old);
  const net = netOf(ctx, p);
  const what = rng.weighted([
    [4, 'pairs'],
    [3, 'sgs'],
    [2, 'fixed_ips'],
    [1, 'local'],
    [1, 'portsec'],
  ]);
  if (what === 'local') {
    if (p.local === false) {
      delete p.local;
      delete p['binding:host_id'];
    } else {
      p.local = false;
      p['binding:host_id'] = 'compute-2';
    }
    return [p, `port ${p.id.slice(0, 8)}: ${p.local === false ? 'moves to another host' : 'moves to this host'}`];
  }
  if (p.device_owner === 'network:dhcp') {
    p.fixed_ips = randomFixedIps(rng, ctx, net);
    return [p, `dhcp port ${p.id.slice(0, 8)}: fixed_ips changed`];
  }
  if (what === 'portsec' || !p.port_security_enabled) {
    if (p.port_security_enabled) {
      p.port_security_enabled = false;
      p.security_groups = [];
      p.allowed_address_pairs = [];
      return [p, `port ${p.id.slice(0, 8)}: port security disabled`];
    }
    p.port_security_enabled = true;
    p.security_groups = randomSgList(rng, ctx);
    p.allowed_address_pairs = randomPairs(rng, ctx, net, p);
    return [p, `port ${p.id.slice(0, 8)}: port security enabled`];
  }
  if (what === 'pairs') {
    p.allowed_address_pairs = rng.chance(0.3) ? [] : randomPairs(rng, ctx, net, p);
    return [p, `port ${p.id.slice(0, 8)}: allowed_address_pairs replaced`];
  }
  if (what === 'sgs') {
    p.security_groups = randomSgList(rng, ctx);
    return [p, `port ${p.id.slice(0, 8)}: security_groups replaced`];
  }
  p.fixed_ips = randomFixedIps(rng, ctx, net);
  return [p, `port ${p.id.slice(0, 8)}: fixed_ips replaced`];
}

function mutateSg(rng, ctx, sgs, old) {
  const g = clone(old);
  const rules = g.security_group_rules;
  const budget = MAX_RULES - totalRules(sgs);
  const what = rng.weighted([
    [4, budget > 0 ? 'add' : 'modify'],
    [3, rules.length ? 'remove' : 'add'],
    [3, rules.length ? 'modify' : 'add'],
  ]);
  if (what === 'add' && budget <= 0) {
    return [g, `group ${g.name}: rules unchanged`];
  }
  if (what === 'add') {
    const n = Math.min(budget, rng.int(1, 3));
    for (let i = 0; i < n; i++) rules.push(randomRule(rng, ctx, g.id));
    return [g, `group ${g.name}: ${n} rule(s) added`];
  }
  const idx = rng.int(0, rules.length - 1);
  if (what === 'remove') {
    rules.splice(idx, 1);
    return [g, `group ${g.name}: a rule removed`];
  }
  rules[idx] = randomRule(rng, ctx, g.id);
  return [g, `group ${g.name}: a rule replaced`];
}

/**
 * Apply events to a topology: the FINAL state, with no events.
 * add_port appends, update_port replaces in place (same position, as
 * golden's ordered dict), remove_port deletes, update_security_group
 * replaces the group in place.
 */
export function applyEvents(topology) {
  const t = clone(topology);
  const events = t.events ?? [];
  delete t.events;
  for (const ev of events) {
    if (ev.op === 'add_port') {
      if (t.ports.some((p) => p.id === ev.port.id)) throw new Error(`add_port: ${ev.port.id} exists`);
      t.ports.push(clone(ev.port));
    } else if (ev.op === 'update_port') {
      const i = t.ports.findIndex((p) => p.id === ev.port.id);
      if (i < 0) throw new Error(`update_port: no port ${ev.port.id}`);
      t.ports[i] = clone(ev.port);
    } else if (ev.op === 'remove_port') {
      const i = t.ports.findIndex((p) => p.id === ev.id);
      if (i < 0) throw new Error(`remove_port: no port ${ev.id}`);
      t.ports.splice(i, 1);
    } else if (ev.op === 'update_security_group') {
      const i = t.security_groups.findIndex((g) => g.id === ev.security_group.id);
      if (i < 0) throw new Error(`update_security_group: no group ${ev.security_group.id}`);
      t.security_groups[i] = clone(ev.security_group);
    } else {
      throw new Error(`unsupported event op ${ev.op}`);
    }
  }
  return t;
}

/** The topology without its events (what the initial sync sees). */
export function withoutEvents(topology) {
  const t = clone(topology);
  delete t.events;
  return t;
}

/**
 * A golden.py input for `seed`: options, security_groups, ports and
 * sometimes events. Same seed => same object.
 */
export function generateTopology(seed) {
  const rng = new Rng(seed);
  const driver = rng.chance(0.35) ? 'ovs_hybrid' : 'linuxbridge';
  const enableIpset = rng.chance(0.7);
  const ctx = {
    driver,
    enableIpset,
    networks: [],
    sgs: [],
    sgIds: [],
    portPrefixes: new Set(),
    macs: new Set(),
    ips: new Set(),
    vips: [],
  };

  // networks: unique first 11 characters (linuxbridge bridge brq<net[:11]>)
  const netPrefixes = new Set();
  const nNets = rng.int(1, 3);
  for (let k = 0; k < nNets; k++) {
    const v4 = k === 0 || rng.chance(0.8);
    const v6 = !v4 || rng.chance(0.5);
    ctx.networks.push({
      id: uniqueUuid(rng, netPrefixes, 11),
      v4: v4 ? { base: `10.${k + 1}.${rng.int(0, 255)}`, id: uuid(rng) } : null,
      v6: v6 ? { base: `2001:db8:${(k + 1).toString(16)}${rng.hex(2)}::`, id: uuid(rng) } : null,
    });
  }
  const net0 = ctx.networks[0];
  ctx.vips = [`${net0.v4.base}.${rng.int(200, 250)}`, `${net0.v4.base}.${rng.int(200, 250)}`];

  // security groups: ids unique in their first 24 characters (ipset names)
  const sgPrefixes = new Set();
  const nSgs = rng.int(1, 5);
  const statefulMode = rng.weighted([
    [14, 'all-stateful'],
    [4, 'mixed'],
    [2, 'all-stateless'],
  ]);
  for (let i = 0; i < nSgs; i++) {
    const id = uniqueUuid(rng, sgPrefixes, 24);
    ctx.sgIds.push(id);
    const stateful = statefulMode === 'all-stateful' ? true : statefulMode === 'all-stateless' ? false : rng.chance(0.5);
    ctx.sgs.push({ id, name: `sg${i}`, stateful, security_group_rules: [] });
  }
  let budget = MAX_RULES;
  for (const g of ctx.sgs) {
    const rules = g.security_group_rules;
    if (rng.chance(0.4) && budget >= 4) {
      // Neutron's "default" group
      rules.push(plainRule(rng, 'egress', 'IPv4', null), plainRule(rng, 'egress', 'IPv6', null));
      rules.push(plainRule(rng, 'ingress', 'IPv4', g.id), plainRule(rng, 'ingress', 'IPv6', g.id));
      budget -= 4;
    }
    const n = Math.min(budget, rng.int(0, 5));
    for (let i = 0; i < n; i++) rules.push(randomRule(rng, ctx, g.id));
    budget -= n;
    // shuffle sometimes, so the default rules are not always first
    if (rng.chance(0.3)) g.security_group_rules = rng.shuffle(rules);
  }
  // an explicit cycle A -> B -> A
  if (nSgs >= 2 && budget >= 2 && rng.chance(0.4)) {
    const [a, b] = rng.sample(ctx.sgs, 2);
    const r1 = plainRule(rng, 'ingress', 'IPv4', b.id);
    const r2 = plainRule(rng, 'ingress', 'IPv4', a.id);
    if (rng.chance(0.5)) Object.assign(r1, { protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    a.security_group_rules.push(r1);
    b.security_group_rules.push(r2);
  }

  // ports
  const nPorts = rng.weighted([
    [3, rng.int(2, 4)],
    [4, rng.int(3, 6)],
    [2, rng.int(6, 10)],
  ]);
  const ports = [];
  const dhcpAt = rng.chance(0.25) ? rng.int(0, nPorts - 1) : -1;
  for (let i = 0; i < nPorts; i++) ports.push(makePort(rng, ctx, i === dhcpAt ? { kind: 'dhcp' } : {}));
  // at least one local port with port security, or there is little to test
  if (!ports.some((p) => p.local !== false && p.port_security_enabled && p.device_owner !== 'network:dhcp')) {
    ports[ports.length - 1] = makePort(rng, ctx, { kind: 'normal', local: true });
  }

  const topology = {
    options: { driver, enable_ipset: enableIpset },
    security_groups: ctx.sgs.map(clone),
    ports: ports.map(clone),
  };

  // events, applied to a working copy so that each refers to the current state
  if (rng.chance(0.35)) {
    const nEvents = rng.int(1, 4);
    const events = [];
    let state = withoutEvents(topology);
    for (let e = 0; e < nEvents; e++) {
      const op = rng.weighted([
        [state.ports.length < 10 ? 2 : 0, 'add_port'],
        [4, 'update_port'],
        [state.ports.length > 1 ? 2 : 0, 'remove_port'],
        [3, 'update_security_group'],
      ]);
      let ev;
      if (op === 'add_port') {
        const p = makePort(rng, ctx);
        ev = { op, label: `port ${p.id.slice(0, 8)} added${p.local === false ? ' on another host' : ''}`, port: p };
      } else if (op === 'update_port') {
        const [p, label] = mutatePort(rng, ctx, rng.pick(state.ports));
        ev = { op, label, port: p };
      } else if (op === 'remove_port') {
        const p = rng.pick(state.ports);
        ev = { op, label: `port ${p.id.slice(0, 8)} deleted`, id: p.id };
      } else {
        // the working SGs must be current for the rule budget
        ctx.sgs = state.security_groups;
        const [g, label] = mutateSg(rng, ctx, state.security_groups, rng.pick(state.security_groups));
        ev = { op, label, security_group: g };
      }
      events.push(ev);
      state = applyEvents({ ...state, events: [ev] });
    }
    topology.events = events;
  }
  return topology;
}

/** The same topology for another firewall driver (the other backends' fixtures reuse the inputs). */
export function withDriver(topology, driver) {
  const t = clone(topology);
  t.options = { ...t.options, driver };
  return t;
}
