/**
 * What the differential fuzzer makes requests about: one table entry per Neutron
 * resource, each saying how to write a body for a create or an update and a query for
 * a list, from valid values, boundary values and invalid ones. A resource another
 * part of the API adds later (address groups, RBAC policies, quotas) is one more entry.
 *
 * Bodies name the objects they refer to by handle (`<<net3>>`); each side of the run
 * replaces a handle with the id its own server gave that object (see run.ts).
 */
import { type Json } from '../conformance/normalise.js';
import { type Dice } from '../support/random-cloud.js';

/** An object the reference server made, as the generator knows it. */
export interface Handle {
  name: string;
  kind: string;
  /** whose it is: the identity that made it */
  owner: string;
  /** the handle of the object it lives in (a subnet's network), so it goes with it */
  parent?: string;
  /** what later requests build on: a subnet's CIDR and IP version */
  facts: Record<string, Json>;
}

/** What the generator offers a table entry: randomness and the objects made so far. */
export interface Ctx {
  g: Dice;
  /** a handle of that kind (any owner, mostly the caller's), or an id nobody has */
  ref(kind: string): string;
  handle(kind: string): Handle | undefined;
  /** a number never given out before in this run (for CIDRs that do not overlap) */
  fresh(): number;
}

export interface Resource {
  kind: string;
  collection: string;
  /** the key of the object in a body (`network`) */
  member: string;
  /** the handle a created object's parent is (its network for a subnet) */
  parent?: (body: Record<string, Json>) => string | undefined;
  /** what later requests need to know about a created object, from the body that made it */
  facts?: (body: Record<string, Json>) => Record<string, Json>;
  create(c: Ctx): { label: string; body: Record<string, Json> };
  /** none: the resource's PUT is not sent (deliberate.ts) */
  update?(c: Ctx): { label: string; body: Record<string, Json> };
  /** query keys a list may filter on, each with the values to try */
  filters(c: Ctx): Record<string, string[]>;
  /** made by a port (a MAC, addresses the server picked) */
  isPort?: boolean;
}

/** Ids nobody has, and text that is no id at all. */
export const NOBODY = '00000000-0000-4000-8000-00000000beef';
export const NOT_AN_ID = 'not-an-id';

const name = (c: Ctx) => c.g.pick(['a', 'b', 'web', 'db', '', 'x'.repeat(255), 'x'.repeat(256), 'ünï']);
const bool = (c: Ctx): Json => c.g.pick([true, false, true, false, 'true', 'False', 'maybe', 1, 0, null]);

/** Fills an object from optional attributes: each present with probability p. */
function some(c: Ctx, p: number, attrs: Record<string, () => Json>): { label: string; body: Record<string, Json> } {
  const body: Record<string, Json> = {};
  for (const [k, v] of Object.entries(attrs)) if (c.g.chance(p)) body[k] = v();
  return { label: Object.keys(body).sort().join(',') || '{}', body };
}

const network: Resource = {
  kind: 'network', collection: 'networks', member: 'network',
  create: (c) => some(c, 0.3, {
    name: () => name(c),
    description: () => c.g.pick(['d', '', null, 'x'.repeat(256)]),
    admin_state_up: () => bool(c),
    shared: () => bool(c),
    port_security_enabled: () => bool(c),
    mtu: () => c.g.pick([1400, 1500, 68, 0, 'big']),
    tenant_id: () => c.g.pick(['proj-a', 'proj-b', 'admin-project']),
    project_id: () => c.g.pick(['proj-a', 'proj-b', 'admin-project']),
    colour: () => 'blue',
  }),
  update: (c) => some(c, 0.35, {
    name: () => name(c),
    description: () => c.g.pick(['d2', '']),
    admin_state_up: () => bool(c),
    shared: () => bool(c),
    port_security_enabled: () => bool(c),
    'provider:network_type': () => 'vxlan',
    tenant_id: () => c.g.pick(['proj-a', 'proj-b']),
  }),
  filters: (c) => ({
    name: ['a', 'web', ''],
    admin_state_up: ['true', 'false', 'True', 'maybe'],
    shared: ['true', 'false', '1'],
    port_security_enabled: ['true', 'false'],
    id: [c.ref('network'), NOBODY, NOT_AN_ID],
    project_id: ['proj-a', 'proj-b'],
    tenant_id: ['proj-a'],
    status: ['ACTIVE', 'DOWN'],
    revision_number: ['0', '1', '2', 'x'],
    mtu: ['1450', 'x'],
    colour: ['blue'],
  }),
};

/** A subnet's body: valid ones on fresh CIDRs, and the boundaries Neutron checks. */
function subnetBody(c: Ctx): { label: string; body: Record<string, Json> } {
  const k = c.fresh() % 250 + 1;
  const v6 = c.g.chance(0.25);
  const cidr = v6 ? `fd00:${k}::/64` : `10.${k}.0.0/24`;
  const base = (s: string) => (v6 ? `fd00:${k}::${s}` : `10.${k}.0.${s}`);
  const body: Record<string, Json> = { network_id: c.ref('network'), ip_version: v6 ? 6 : 4, cidr };
  // pools keep the addresses a server picks away from the ones requests ask for (.10-.60)
  body.allocation_pools = [{ start: base('100'), end: base('199') }];
  const variant = c.g.pick(['valid', 'valid', 'valid', 'valid', 'gateway', 'pool', 'cidr', 'version', 'v6modes', 'dhcp', 'name', 'overlap', 'network']);
  switch (variant) {
    case 'gateway': body.gateway_ip = c.g.pick([null, base('1'), base('0'), v6 ? `fd00:${k}::ffff:ffff:ffff:ffff` : base('255'), base('150'), v6 ? '10.0.0.1' : '10.250.250.1', 'gw']); break;
    case 'pool': body.allocation_pools = c.g.pick<Json>([[], [{ start: base('1'), end: base('20') }], [{ start: base('0'), end: base('20') }],
      [{ start: base('200'), end: v6 ? `fd00:${k}::ffff:ffff:ffff:ffff` : base('255') }], [{ start: base('50'), end: base('40') }],
      [{ start: base('100'), end: base('150') }, { start: base('140'), end: base('160') }], [{ start: base('100') }], 'x']); break;
    case 'cidr': body.cidr = c.g.pick(v6 ? [`fd00:${k}::/130`, `fd00:${k}::/120`, `fd00:${k}::1/64`, '::/0'] : [`10.${k}.0.0/33`, `10.${k}.0.5/24`, `10.${k}.0.0/31`, `10.${k}.0.0/32`, '10.0.0/8', 'x']);
      delete body.allocation_pools; break;
    case 'version': body.ip_version = c.g.pick([5, '4', v6 ? 4 : 6, null]); break;
    case 'v6modes': body.ipv6_ra_mode = c.g.pick(['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', 'bogus', null]);
      body.ipv6_address_mode = c.g.pick(['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', 'bogus', null]); break;
    case 'dhcp': body.enable_dhcp = bool(c); break;
    case 'name': body.name = name(c); body.description = c.g.pick(['d', 'x'.repeat(256)]); break;
    case 'overlap': { const h = c.handle('subnet'); if (h) { body.cidr = h.facts.cidr; body.ip_version = h.facts.ip_version; delete body.allocation_pools; } break; }
    case 'network': body.network_id = c.g.pick([NOBODY, NOT_AN_ID, null]); break;
  }
  return { label: variant, body };
}

const subnet: Resource = {
  kind: 'subnet', collection: 'subnets', member: 'subnet',
  parent: (b) => (typeof b.network_id === 'string' ? b.network_id : undefined),
  facts: (b) => ({ cidr: b.cidr, ip_version: b.ip_version }),
  create: subnetBody,
  update: (c) => {
    const h = c.handle('subnet');
    const k = typeof h?.facts.cidr === 'string' ? h.facts.cidr.split(/[./:]/)[1] : '1';
    const v6 = h?.facts.ip_version === 6;
    const addr = (s: string) => (v6 ? `fd00:${k}::${s}` : `10.${k}.0.${s}`);
    return some(c, 0.3, {
      name: () => name(c),
      gateway_ip: () => c.g.pick([null, addr('1'), addr('0'), addr('150'), '192.0.2.1']),
      allocation_pools: () => c.g.pick<Json>([[{ start: addr('100'), end: addr('120') }], [], [{ start: addr('1'), end: addr('9') }]]),
      enable_dhcp: () => bool(c),
      cidr: () => '10.99.0.0/24',
      ip_version: () => 6,
    });
  },
  filters: (c) => ({
    network_id: [c.ref('network'), NOBODY, NOT_AN_ID],
    ip_version: ['4', '6', '5', 'x'],
    cidr: ['10.1.0.0/24', 'fd00:1::/64', 'x'],
    enable_dhcp: ['true', 'false', 'x'],
    gateway_ip: ['10.1.0.1'],
    name: ['a', ''],
    ipv6_ra_mode: ['slaac'],
    id: [c.ref('subnet')],
  }),
};

const securityGroup: Resource = {
  kind: 'security_group', collection: 'security-groups', member: 'security_group',
  create: (c) => some(c, 0.4, {
    name: () => c.g.pick(['ssh', 'web', 'default', '', 'x'.repeat(256)]),
    description: () => c.g.pick(['d', '', 'x'.repeat(256)]),
    stateful: () => bool(c),
    tenant_id: () => c.g.pick(['proj-a', 'proj-b']),
    colour: () => 'blue',
  }),
  update: (c) => some(c, 0.4, {
    name: () => c.g.pick(['ssh2', 'default', '']),
    description: () => c.g.pick(['d2', '']),
    stateful: () => bool(c),
  }),
  filters: (c) => ({
    name: ['default', 'ssh', 'web'],
    stateful: ['true', 'false', 'x'],
    id: [c.ref('security_group'), NOBODY, NOT_AN_ID],
    project_id: ['proj-a', 'proj-b'],
    description: ['d'],
    revision_number: ['0', '1', 'x'],
  }),
};

const PROTOCOLS: Json[] = ['tcp', 'udp', 'icmp', 'ipv6-icmp', '6', '17', 'any', 'foo', null, 300, 'sctp'];

const rule: Resource = {
  kind: 'security_group_rule', collection: 'security-group-rules', member: 'security_group_rule',
  parent: (b) => (typeof b.security_group_id === 'string' ? b.security_group_id : undefined),
  create: (c) => {
    const ethertype = c.g.pick<Json>(['IPv4', 'IPv4', 'IPv6', 'ipv4', 'IPv5']);
    const body: Record<string, Json> = { security_group_id: c.ref('security_group'), direction: c.g.pick(['ingress', 'egress', 'ingress', 'sideways']), ethertype };
    const label: string[] = [];
    if (c.g.chance(0.8)) { body.protocol = c.g.pick(PROTOCOLS); label.push('protocol'); }
    if (c.g.chance(0.6)) {
      const lo = c.g.pick<Json>([22, 80, 0, 1, 65535, 65536, -1, 'x', null, 8]);
      body.port_range_min = lo;
      body.port_range_max = c.g.pick<Json>([lo, 22, 443, 0, 65536, null, 255]);
      label.push('ports');
    }
    const remote = c.g.pick(['none', 'prefix', 'prefix', 'group', 'both']);
    if (remote === 'prefix' || remote === 'both') body.remote_ip_prefix = c.g.pick(['0.0.0.0/0', '10.0.0.0/8', '10.0.0.5/8', '::/0', 'fd00::/8', '192.168.1.1', 'x', '10.0.0.0/33']);
    if (remote === 'group' || remote === 'both') body.remote_group_id = c.ref('security_group');
    if (c.g.chance(0.1)) body.security_group_id = c.g.pick([NOBODY, NOT_AN_ID]);
    if (c.g.chance(0.1)) body.description = c.g.pick(['d', 'x'.repeat(256)]);
    return { label: [...label, remote].join(','), body };
  },
  filters: (c) => ({
    security_group_id: [c.ref('security_group'), NOBODY],
    direction: ['ingress', 'egress', 'x'],
    ethertype: ['IPv4', 'IPv6'],
    protocol: ['tcp', 'udp', '6', 'icmp'],
    port_range_min: ['22', 'x'],
    remote_ip_prefix: ['0.0.0.0/0', '10.0.0.0/8'],
    remote_group_id: [c.ref('security_group')],
  }),
};

/** A fixed IP on a subnet made so far: at an address requests ask for (.10-.60), or left to the server. */
function fixedIp(c: Ctx): Json {
  const h = c.handle('subnet');
  if (!h) return { subnet_id: NOBODY };
  const k = String(h.facts.cidr).split(/[./:]/)[1];
  const n = String(c.g.int(10, 60));
  const ip = h.facts.ip_version === 6 ? `fd00:${k}::${n}` : `10.${k}.0.${n}`;
  return c.g.pick<Json>([{ subnet_id: `<<${h.name}>>` }, { subnet_id: `<<${h.name}>>`, ip_address: ip }, { ip_address: ip }, { subnet_id: `<<${h.name}>>`, ip_address: 'x' }]);
}

const port: Resource = {
  kind: 'port', collection: 'ports', member: 'port', isPort: true,
  parent: (b) => (typeof b.network_id === 'string' ? b.network_id : undefined),
  create: (c) => {
    const { label, body } = some(c, 0.25, {
      name: () => name(c),
      admin_state_up: () => bool(c),
      fixed_ips: () => c.g.pick<Json>([[fixedIp(c)], [], [fixedIp(c), fixedIp(c)], 'x']),
      mac_address: () => c.g.pick(['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', 'not-a-mac', '00:00:00:00:00:00', 'FA:16:3E:00:00:03']),
      security_groups: () => c.g.pick<Json>([[c.ref('security_group')], [], [c.ref('security_group'), c.ref('security_group')], [NOBODY], 'x']),
      port_security_enabled: () => bool(c),
      allowed_address_pairs: () => c.g.pick<Json>([[{ ip_address: '10.200.0.1' }], [{ ip_address: '10.200.0.0/24', mac_address: 'fa:16:3e:00:00:09' }], [{ ip_address: 'x' }], [{}], []]),
      device_owner: () => c.g.pick(['compute:nova', 'network:dhcp', 'network:router_interface', '', 'x']),
      device_id: () => c.g.pick(['vm-1', '']),
      binding_host: () => 'h',
    });
    body.network_id = c.g.chance(0.95) ? c.ref('network') : c.g.pick([NOBODY, NOT_AN_ID]);
    return { label, body };
  },
  update: (c) => some(c, 0.3, {
    name: () => name(c),
    admin_state_up: () => bool(c),
    fixed_ips: () => c.g.pick<Json>([[fixedIp(c)], []]),
    mac_address: () => c.g.pick(['fa:16:3e:00:00:04', 'x']),
    security_groups: () => c.g.pick<Json>([[c.ref('security_group')], [], [NOBODY]]),
    port_security_enabled: () => bool(c),
    allowed_address_pairs: () => c.g.pick<Json>([[{ ip_address: '10.201.0.1' }], [], [{ ip_address: 'x' }]]),
    device_owner: () => c.g.pick(['compute:nova', 'network:dhcp', '']),
    network_id: () => c.ref('network'),
  }),
  filters: (c) => ({
    network_id: [c.ref('network'), NOBODY],
    device_owner: ['compute:nova', 'network:dhcp', ''],
    mac_address: ['fa:16:3e:00:00:01', 'x'],
    admin_state_up: ['true', 'false', 'x'],
    port_security_enabled: ['true', 'false'],
    'fixed_ips': ['ip_address=10.1.0.10', `subnet_id=${c.ref('subnet')}`, 'bogus=1', 'ip_address_substr=10.'],
    security_groups: [c.ref('security_group')],
    name: ['a', ''],
    status: ['DOWN', 'ACTIVE'],
    id: [c.ref('port'), NOT_AN_ID],
  }),
};

/** The table: a new resource is one more entry (its parent kinds first). */
export const RESOURCES: Resource[] = [network, subnet, securityGroup, rule, port];
