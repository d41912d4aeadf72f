// Seeded generator of event sequences for the agent-step fixtures
// (test/fixtures/agent-steps): one compute node and 4–8 events aimed at what
// Neutron's agent keeps between loops — pair changes (0.0.0.0/0, ::/0, a VIP),
// duplicate members (a VIP shared by two ports, a pair equal to the port's own
// fixed IP), more than 20 local ports (RPC chunks of 20), ipset off, owner
// changes to network:* and back, port security toggled, stateless groups
// losing their first rules. Pure and deterministic: the same
// seed gives the same object; every input is meant to be accepted by the
// Neutron API (neutron_driver.py exits 2 otherwise: a bug here).
//
// Plain ESM JavaScript (Node 20 runs it directly); the input shape is
// topology-generator.d.mts's Topology.
import { Rng } from './topology-generator.mjs';

const DICE_MIX = [0x5bd1e995, 0x27d4eb2d, 0x165667b1];

const clone = (o) => JSON.parse(JSON.stringify(o));
const hex2 = (n) => n.toString(16).padStart(2, '0');

/** a UUID whose first `n` characters no other has (chain and ipset names keep only those) */
function uniqueId(d, used, n) {
  for (;;) {
    const id = `${d.hex(8)}-${d.hex(4)}-4${d.hex(3)}-${d.pick(['8', '9', 'a', 'b'])}${d.hex(3)}-${d.hex(12)}`;
    if (!used.has(id.slice(0, n))) {
      used.add(id.slice(0, n));
      return id;
    }
  }
}

function rule(d, ctx, group) {
  const ethertype = d.chance(0.6) ? 'IPv4' : 'IPv6';
  const protocol = d.weighted([[4, null], [3, 'tcp'], [2, 'udp'], [1, ethertype === 'IPv4' ? 'icmp' : 'ipv6-icmp']]);
  const port = protocol === 'tcp' || protocol === 'udp' ? d.pick([22, 80, 443, 53]) : null;
  const remote = d.weighted([[6, 'group'], [2, 'prefix'], [2, 'none']]);
  return {
    id: uniqueId(d, ctx.ruleIds, 36),
    direction: d.chance(0.7) ? 'ingress' : 'egress',
    ethertype,
    protocol,
    port_range_min: port,
    port_range_max: port,
    remote_ip_prefix: remote === 'prefix' ? (ethertype === 'IPv4' ? d.pick(['10.9.0.0/16', '0.0.0.0/0', '192.0.2.7/32']) : d.pick(['2001:db8:9::/48', '::/0'])) : null,
    remote_group_id: remote === 'group' ? d.pick(ctx.groupIds) : null,
  };
}

/** a fresh fixed IP of the node's network in one family */
function fixedIp(d, ctx, family) {
  for (;;) {
    const n = d.int(3, 250);
    const ip = family === 4 ? `${ctx.v4}.${n}` : `${ctx.v6}${n.toString(16)}`;
    if (!ctx.ips.has(ip)) {
      ctx.ips.add(ip);
      return { ip_address: ip, subnet_id: family === 4 ? ctx.v4Subnet : ctx.v6Subnet };
    }
  }
}

function fixedIps(d, ctx) {
  return d.weighted([[5, [4]], [1, [6]], [3, [4, 6]], [1, []]]).map((f) => fixedIp(d, ctx, f));
}

/** pairs that make duplicate and wide members: the shared VIPs, the port's own fixed IP, /0s */
function pairs(d, ctx, port) {
  const n = d.weighted([[3, 0], [4, 1], [2, 2], [1, 3]]);
  const out = [];
  const seen = new Set();
  for (let tries = 0; out.length < n && tries < 20; tries++) {
    const own = port.fixed_ips.length ? d.pick(port.fixed_ips).ip_address : null;
    const ip = d.weighted([
      [4, () => d.pick(ctx.vips)],
      [own ? 3 : 0, () => own],
      [2, () => '0.0.0.0/0'],
      [1, () => '::/0'],
      [2, () => `${ctx.v4}.${d.int(1, 254)}`],
      [1, () => `${ctx.v4}.0/28`],
      [1, () => `${ctx.v6}${d.int(0x100, 0xfff).toString(16)}`],
    ])();
    const pair = { ip_address: ip };
    if (d.chance(0.2)) pair.mac_address = `fa:16:3e:77:00:${hex2(d.int(1, 255))}`;
    const key = `${ip}|${pair.mac_address ?? port.mac_address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(pair);
  }
  return out;
}

function groupsFor(d, ctx) {
  return [...new Set(Array.from({ length: d.weighted([[1, 0], [6, 1], [3, 2]]) }, () => d.pick(ctx.groupIds)))];
}

function makePort(d, ctx, { local = !d.chance(0.3), owner = 'compute:nova', portSecurity = !d.chance(0.08) } = {}) {
  const id = uniqueId(d, ctx.portPrefixes, 11);
  const mac = (() => {
    for (;;) {
      const m = `fa:16:3e:${hex2(d.int(0, 255))}:${hex2(d.int(0, 255))}:${hex2(d.int(0, 255))}`;
      if (!ctx.macs.has(m)) return ctx.macs.add(m), m;
    }
  })();
  const port = { id, network_id: ctx.network, mac_address: mac, fixed_ips: fixedIps(d, ctx), allowed_address_pairs: [], security_groups: [], port_security_enabled: portSecurity, device_owner: owner };
  if (ctx.driver === 'linuxbridge') port.device = `tap${id.slice(0, 11)}`;
  if (portSecurity) {
    port.security_groups = groupsFor(d, ctx);
    if (owner === 'compute:nova') port.allowed_address_pairs = pairs(d, ctx, port);
  }
  if (!local) {
    port.local = false;
    port['binding:host_id'] = 'compute-2';
  }
  return port;
}

/** One event against `state` (the topology so far), with a label saying what it does. */
function event(d, ctx, state) {
  const ports = state.ports;
  const secured = ports.filter((p) => p.port_security_enabled && !p.device_owner.startsWith('network:'));
  const network = ports.filter((p) => p.device_owner.startsWith('network:') && p.device_owner !== 'network:dhcp');
  const op = d.weighted([
    [secured.length ? 6 : 0, 'pairs'],
    [network.length ? 5 : 0, 'owner back'],
    [ports.length < 34 ? 2 : 0, 'add'],
    [ports.length > 2 ? 2 : 0, 'remove'],
    [secured.length ? 2 : 0, 'groups'],
    [secured.length ? 1 : 0, 'fixed_ips'],
    [secured.length ? 1 : 0, 'owner'],
    [2, 'portsec'],
    [1, 'local'],
    [2, 'rules'],
  ]);
  const short = (p) => p.id.slice(0, 8);
  if (op === 'add') {
    const p = makePort(d, ctx);
    return { op: 'add_port', label: `port ${short(p)} added${p.local === false ? ' on another host' : ''}`, port: p };
  }
  if (op === 'remove') {
    const p = d.pick(ports);
    return { op: 'remove_port', label: `port ${short(p)} deleted`, id: p.id };
  }
  if (op === 'rules') {
    const g = clone(d.pick(state.security_groups));
    // a group losing its first rule (or all of them) can turn its ports' tracking around
    if (g.security_group_rules.length && d.chance(0.15)) g.security_group_rules = [];
    else if (g.security_group_rules.length && d.chance(0.5)) g.security_group_rules.splice(d.chance(0.5) ? 0 : d.int(0, g.security_group_rules.length - 1), 1);
    else g.security_group_rules.push(rule(d, ctx, g));
    return { op: 'update_security_group', label: `group ${g.id.slice(0, 8)}: rules changed`, security_group: g };
  }
  const pick = op === 'portsec' || op === 'local' ? d.pick(ports) : op === 'owner back' ? d.pick(network) : d.pick(secured);
  const p = clone(pick);
  let label;
  if (op === 'pairs') {
    p.allowed_address_pairs = d.chance(0.3) ? [] : pairs(d, ctx, p);
    label = `pairs now ${p.allowed_address_pairs.map((a) => a.ip_address).join(', ') || 'none'}`;
  } else if (op === 'groups') {
    p.security_groups = groupsFor(d, ctx);
    label = 'groups replaced';
  } else if (op === 'fixed_ips') {
    for (const f of p.fixed_ips) ctx.ips.delete(f.ip_address);
    p.fixed_ips = fixedIps(d, ctx);
    label = 'fixed_ips replaced';
  } else if (op === 'owner back') {
    p.device_owner = 'compute:nova';
    if (p.port_security_enabled) p.allowed_address_pairs = pairs(d, ctx, p);
    label = 'owner compute:nova again';
  } else if (op === 'owner') {
    p.device_owner = d.pick(['network:dhcp', 'network:router_interface', 'network:floatingip_agent_gateway']);
    label = `owner now ${p.device_owner}`;
  } else if (op === 'portsec') {
    p.port_security_enabled = !p.port_security_enabled;
    if (!p.port_security_enabled) {
      p.security_groups = [];
      p.allowed_address_pairs = [];
    } else if (!p.device_owner.startsWith('network:')) {
      p.security_groups = groupsFor(d, ctx);
    }
    label = `port security ${p.port_security_enabled ? 'enabled' : 'disabled'}`;
  } else {
    if (p.local === false) {
      delete p.local;
      delete p['binding:host_id'];
    } else {
      p.local = false;
      p['binding:host_id'] = 'compute-2';
    }
    label = p.local === false ? 'moves to another host' : 'moves to this host';
  }
  return { op: 'update_port', label: `port ${short(p)}: ${label}`, port: p };
}

function applyOne(state, ev) {
  const t = clone(state);
  if (ev.op === 'add_port') t.ports.push(clone(ev.port));
  else if (ev.op === 'remove_port') t.ports = t.ports.filter((p) => p.id !== ev.id);
  else if (ev.op === 'update_port') t.ports = t.ports.map((p) => (p.id === ev.port.id ? clone(ev.port) : p));
  else t.security_groups = t.security_groups.map((g) => (g.id === ev.security_group.id ? clone(ev.security_group) : g));
  return t;
}

/** A neutron_driver.py input with 4–8 events for `seed`. Same seed => same object. */
export function generateSequence(seed) {
  const d = new Rng(seed, DICE_MIX);
  const driver = d.chance(0.3) ? 'ovs_hybrid' : 'linuxbridge';
  const enableIpset = d.chance(0.6);
  const ctx = {
    driver, network: `${d.hex(8)}-0000-4000-8000-${d.hex(12)}`, v4: `10.${d.int(1, 200)}.${d.int(0, 255)}`, v6: `2001:db8:${d.hex(2)}::`,
    v4Subnet: `${d.hex(8)}-0000-4000-8000-000000000004`, v6Subnet: `${d.hex(8)}-0000-4000-8000-000000000006`,
    ips: new Set(), macs: new Set(), portPrefixes: new Set(), ruleIds: new Set(), groupIds: [],
  };
  ctx.vips = [`${ctx.v4}.251`, `${ctx.v4}.252`, `${ctx.v6}fff1`];
  for (const ip of ctx.vips) ctx.ips.add(ip);
  const sgPrefixes = new Set();
  const nGroups = d.int(2, 4);
  for (let i = 0; i < nGroups; i++) ctx.groupIds.push(uniqueId(d, sgPrefixes, 24));
  // stateless groups (all or none: the API refuses both kinds on one port): tracking follows each port's first rule
  const stateful = !d.chance(0.25);
  const security_groups = ctx.groupIds.map((id) => {
    const g = { id, name: `sg-${id.slice(0, 4)}`, stateful, security_group_rules: [] };
    const n = d.int(1, 4);
    for (let i = 0; i < n; i++) g.security_group_rules.push(rule(d, ctx, g));
    return g;
  });
  // a node with more than 20 local ports: its syncs and refreshes go in RPC chunks of 20
  const many = d.chance(0.3);
  const nPorts = many ? d.int(22, 30) : d.int(3, 9);
  const ports = [];
  for (let i = 0; i < nPorts; i++) {
    const owner = d.chance(0.06) ? 'network:dhcp' : 'compute:nova';
    ports.push(makePort(d, ctx, many ? { local: !d.chance(0.1), owner } : { owner }));
  }
  const input = { options: { driver, enable_ipset: enableIpset }, security_groups, ports };
  const events = [];
  let state = clone(input);
  const nEvents = d.int(4, 8);
  for (let i = 0; i < nEvents; i++) {
    const ev = event(d, ctx, state);
    events.push(ev);
    state = applyOne(state, ev);
  }
  return { ...input, events };
}
