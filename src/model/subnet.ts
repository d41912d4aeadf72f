/** The subnet resource: schema, input parsing and API view. */
import { z } from 'zod';
import { type Cidr, formatCidr, formatNetwork, parseCidr, parseIp } from './addresses.js';
import { idAttr, nameAttr, projectAttrs, projectView, standardAttrs, standardView, type StandardAttrs } from './common.js';
import { errors } from './errors.js';
import { type Pool } from './ipam.js';
import { boolean, check, integer, oneOf, pyRepr, type ResourceSpec, uuid } from './schema.js';

export interface Subnet extends StandardAttrs {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: Pool[];
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: { destination: string; nexthop: string }[];
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
}

const IPV6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'] as const;

/** convert_to_int (its own InvalidInput), then type:values [4, 6] */
const ipVersion = z.unknown().transform((v, ctx) => {
  const n = integer.parse(v);
  if (n === 4 || n === 6) return n as 4 | 6;
  ctx.addIssue({ code: 'custom', message: `${n} is not in valid_values` });
  return z.NEVER;
});

/** neutron-lib convert_cidr_to_canonical_format (a filter's cidr): the address as given, IPv6 compacted */
const canonicalCidr = z.unknown().transform((v) => {
  const c = parseCidr(v);
  if (!c) throw errors.invalidInput(`${pyRepr(v)} is not in a CIDR format`);
  return formatCidr(c);
});

const ipOrNone = check((v) => (v === null || parseIp(v) ? undefined : `'${pyRepr(v)}' is not a valid IP address`));

const pools = check((v) => {
  if (!Array.isArray(v)) return `Invalid data format for IP pool: '${pyRepr(v)}'`;
  for (const p of v) {
    if (typeof p !== 'object' || p === null || !('start' in p) || !('end' in p)) return `Invalid data format for IP pool: '${pyRepr(p)}'`;
    const extra = Object.keys(p).filter((k) => k !== 'start' && k !== 'end');
    if (extra.length) return `Unrecognized attribute(s) '${extra.join(', ')}'`;
  }
  return undefined;
}, (v) => v as Pool[]);

const nameservers = check((v) => {
  if (!Array.isArray(v)) return `Invalid data format for nameserver: '${pyRepr(v)}'`;
  const bad = v.find((x) => !parseIp(x));
  return bad === undefined ? undefined : `'${pyRepr(bad)}' is not a valid nameserver. '${pyRepr(bad)}' is not a valid IP address`;
}, (v) => v as string[]);

const hostRoutes = check((v) => {
  if (!Array.isArray(v)) return `Invalid data format for hostroute: '${pyRepr(v)}'`;
  const bad = v.find((r) => typeof r !== 'object' || r === null || !parseCidr(r.destination) || !parseIp(r.nexthop));
  return bad === undefined ? undefined : `Invalid data format for hostroute: '${pyRepr(bad)}'`;
}, (v) => v as Subnet['host_routes']);

export const subnetSpec: ResourceSpec = {
  name: 'subnet',
  collection: 'subnets',
  attrs: {
    id: idAttr,
    name: nameAttr,
    ip_version: { post: true, put: false, required: true, input: ipVersion, visible: true, filter: true, filterAs: integer, sort: true },
    network_id: { post: true, put: false, required: true, input: uuid, visible: true, filter: true, sort: true },
    subnetpool_id: { post: true, put: false, default: null, visible: true, filter: true },
    prefixlen: { post: true, put: false },
    cidr: { post: true, put: false, required: true, visible: true, filter: true, filterAs: canonicalCidr, sort: true },
    gateway_ip: { post: true, put: true, input: ipOrNone, visible: true, filter: true, sort: true },
    allocation_pools: { post: true, put: true, input: pools, visible: true },
    dns_nameservers: { post: true, put: true, default: [], input: nameservers, visible: true },
    host_routes: { post: true, put: true, default: [], input: hostRoutes, visible: true },
    ...projectAttrs,
    enable_dhcp: { post: true, put: true, default: true, input: boolean, visible: true, filter: true, filterAs: boolean, sort: true },
    // type:values IPV6_MODES: null is not one (left out, the mode is none)
    ipv6_ra_mode: { post: true, put: false, default: null, input: check(oneOfReason), visible: true, filter: true },
    ipv6_address_mode: { post: true, put: false, default: null, input: check(oneOfReason), visible: true, filter: true },
    service_types: { post: true, put: true, default: [], visible: true },
    ...standardAttrs,
  },
};

function oneOfReason(v: unknown): string | undefined {
  const res = oneOf(IPV6_MODES).safeParse(v);
  return res.success ? undefined : res.error.issues[0]?.message;
}

/** The subnet's CIDR, normalised as Neutron does (host bits cleared). */
export function parseSubnetCidr(text: unknown, ipVersion: 4 | 6): { cidr: Cidr; text: string } {
  const c = parseCidr(text);
  if (!c) throw errors.invalidInput(`${pyRepr(text)} is not in a CIDR format`);
  if (c.family !== ipVersion) throw errors.invalidInput(`cidr '${String(text)}' does not match the ip_version '${ipVersion}'`);
  return { cidr: c, text: formatNetwork(c) };
}

export function subnetView(s: Subnet): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    ...projectView(s.project_id),
    network_id: s.network_id,
    ip_version: s.ip_version,
    subnetpool_id: null,
    enable_dhcp: s.enable_dhcp,
    ipv6_ra_mode: s.ipv6_ra_mode,
    ipv6_address_mode: s.ipv6_address_mode,
    gateway_ip: s.gateway_ip,
    cidr: s.cidr,
    allocation_pools: s.allocation_pools,
    host_routes: s.host_routes,
    dns_nameservers: s.dns_nameservers,
    service_types: [],
    ...standardView(s),
  };
}
