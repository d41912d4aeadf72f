/**
 * The five collections of Neutron's API as the analyzer reads them, checked
 * with zod: whatever comes from a cloud or a dump file either becomes Snapshot
 * items or an InputError naming the place and the field. Attributes the
 * analyzer does not read are dropped; the ones it reads are the `fields=` a
 * live import asks for, so the two cannot drift apart.
 */
import { z } from 'zod';
import { canonicalMac, parseCidr, parseIp } from '../../model/addresses.js';
import {
  type Snapshot, type SnapshotAddressGroup, type SnapshotAgent, type SnapshotGroup, type SnapshotNetwork, type SnapshotPort, type SnapshotRule, type SnapshotServer, type SnapshotSubnet,
} from '../snapshot.js';
import { InputError } from './errors.js';
import { portBackends } from './port-backends.js';

export const COLLECTIONS = ['networks', 'subnets', 'ports', 'security_groups', 'security_group_rules'] as const;
export type Collection = (typeof COLLECTIONS)[number];

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** a string `test` accepts; the message quotes what was there */
const valid = (what: string, test: (v: string) => boolean) => z.string().refine(test, { error: (issue) => `${describe(issue.input)} is not ${what}` });
const ip = valid('an IP address', (v) => parseIp(v) !== undefined);
/** prefixes as Neutron returns them: host bits may be set, a bare address is a host */
const cidr = valid('a CIDR', (v) => parseCidr(v, true) !== undefined);
const mac = valid('a MAC address', (v) => canonicalMac(v) !== undefined);
// a default, not a transform: no pipe per field (bench/audit: 200,000 rules of four such fields each)
const nullable = <T extends z.ZodType>(t: T) => t.nullable().default(null);
const portNumber = nullable(z.number().int().min(0).max(65535));
/** what a fix's If-Match names (fix/execute.ts) */
const revision_number = z.number().int().min(0).optional();

/** Clouds before the project-id extension only say tenant_id. */
function tenantAsProject(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || 'project_id' in v || !('tenant_id' in v)) return v;
  return { ...v, project_id: (v as { tenant_id: unknown }).tenant_id };
}

const shapes = {
  networks: {
    id: z.string(),
    name: z.string().default(''),
    project_id: z.string(),
    port_security_enabled: z.boolean().optional(),
    'router:external': z.boolean().optional(),
  },
  subnets: {
    id: z.string(),
    name: z.string().default(''),
    network_id: z.string(),
    ip_version: z.literal([4, 6]),
    cidr,
    gateway_ip: nullable(ip),
  },
  ports: {
    id: z.string(),
    name: z.string().default(''),
    project_id: z.string(),
    network_id: z.string(),
    mac_address: mac,
    device_owner: z.string().default(''),
    device_id: z.string().default(''),
    'binding:host_id': z.string().optional(),
    'binding:vif_type': z.string().optional(),
    'binding:vif_details': z.record(z.string(), z.unknown()).optional(),
    fixed_ips: z.array(z.object({ subnet_id: z.string(), ip_address: ip })),
    allowed_address_pairs: z.array(z.object({ ip_address: cidr, mac_address: mac.optional() })).default([]),
    security_groups: z.array(z.string()).default([]),
    port_security_enabled: z.boolean().optional(),
    revision_number,
  },
  security_groups: {
    id: z.string(),
    name: z.string().default(''),
    project_id: z.string(),
    stateful: z.boolean().optional(),
    description: z.string().nullish(),
    revision_number,
  },
  security_group_rules: {
    id: z.string(),
    security_group_id: z.string(),
    project_id: z.string().optional(),
    direction: z.enum(['ingress', 'egress']),
    ethertype: z.enum(['IPv4', 'IPv6']),
    // Neutron answers strings ("tcp", "6"); a hand-made dump may carry the number
    protocol: nullable(z.union([z.string(), z.number().int().min(0).max(255)]).transform(String)),
    port_range_min: portNumber,
    port_range_max: portNumber,
    remote_ip_prefix: nullable(cidr),
    remote_group_id: nullable(z.string()),
    remote_address_group_id: z.string().nullish(),
    description: z.string().nullish(),
    revision_number,
  },
};


/**
 * A list of `item`s, tenant_id read as project_id where only it is given: the list is mapped once, when
 * an item needs it (bench/audit: a pipe per item cost a fifth of checking 300,000 items).
 */
const tenantScoped = <T extends z.ZodType>(item: T) => z.preprocess((v) => (Array.isArray(v) && v.some((x) => tenantAsProject(x) !== x) ? v.map(tenantAsProject) : v), z.array(item));

const items: { [C in Collection]: z.ZodType<Parsed[C]> } = {
  networks: tenantScoped(z.object(shapes.networks)),
  subnets: z.array(z.object(shapes.subnets)),
  ports: tenantScoped(z.object(shapes.ports)),
  security_groups: tenantScoped(z.object({ ...shapes.security_groups, security_group_rules: z.array(z.unknown()).optional() })),
  security_group_rules: tenantScoped(z.object(shapes.security_group_rules).transform(
    // address groups are left out of the snapshot unless a rule uses one; always a copy: bench/audit's audit peaked 130 MiB higher keeping zod's own objects
    ({ remote_address_group_id: addressGroup, ...rule }) => (addressGroup == null ? rule : { ...rule, remote_address_group_id: addressGroup }),
  )),
};

/** The attributes a live import asks for (`fields=`): the ones read here, and tenant_id for old clouds. */
export function fieldsOf(collection: Collection): string[] {
  return [...Object.keys(shapes[collection]), ...(collection === 'subnets' ? [] : ['tenant_id'])];
}

/** What a parsed collection holds; groups keep their embedded rules until the snapshot is assembled. */
export interface Parsed {
  networks: SnapshotNetwork[];
  subnets: SnapshotSubnet[];
  ports: SnapshotPort[];
  security_groups: (SnapshotGroup & { security_group_rules?: unknown[] })[];
  security_group_rules: SnapshotRule[];
}


/** zod's messages, made to read as "field: what is wrong". */
const messages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${describe(issue.input)}`;
  }
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(issue.input)}`;
  if (issue.code === 'invalid_union') {
    const expected = new Set(issue.errors.flat().map((e) => (e.code === 'invalid_type' ? e.expected : e.message)));
    return `expected ${[...expected].join(' or ')}, got ${describe(issue.input)}`;
  }
  return undefined;
};

/** "ports[3] (id 5f0c…).fixed_ips[0].ip_address": the item's id helps in a dump of thousands */
function pathText(root: string, path: PropertyKey[], value: unknown): string {
  const [first, ...rest] = path;
  const id = typeof first === 'number' && Array.isArray(value) ? (value[first] as { id?: unknown } | undefined)?.id : undefined;
  const head = first === undefined ? root : `${root}${typeof first === 'number' ? `[${first}]` : `.${String(first)}`}${typeof id === 'string' ? ` (id ${id})` : ''}`;
  return rest.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`), head);
}

/**
 * `value` checked by `schema`, or an InputError naming the place: `where` is
 * the file or request it came from, `root` the JSON path of value in it.
 */
export function checked<T>(schema: z.ZodType<T>, value: unknown, where: string, root: string): T {
  const res = schema.safeParse(value, { error: messages });
  if (res.success) return res.data;
  const [first] = res.error.issues;
  const others = res.error.issues.length - 1;
  const more = others ? ` (and ${others} more problem${others > 1 ? 's' : ''})` : '';
  throw new InputError(`${where}: ${pathText(root, first.path, value)}: ${first.message}${more}`);
}

/** One collection's items checked; `root` is the JSON path of the list (e.g. "ports"). */
export function parseCollection<C extends Collection>(collection: C, value: unknown, where: string, root: string = collection): Parsed[C] {
  return checked(items[collection], value, where, root);
}

/**
 * The rules embedded in groups as GET /security-groups returns them (each
 * without its group id, or with it). `where` names the file they came from.
 */
export function embeddedRules(groups: Parsed['security_groups'], where: string): SnapshotRule[] {
  return groups.flatMap((g, i) => {
    if (!g.security_group_rules) {
      throw new InputError(`${where}: security_groups[${i}] (${g.id}) has no security_group_rules list, and no security_group_rules were given`);
    }
    const withGroup = g.security_group_rules.map((r) => (typeof r === 'object' && r !== null && !('security_group_id' in r) ? { ...r, security_group_id: g.id } : r));
    return parseCollection('security_group_rules', withGroup, where, `security_groups[${i}].security_group_rules`);
  });
}

/**
 * Instances, as Nova's GET /servers answers ({id, name}) or `openstack server list -f json`
 * prints them ({ID, Name}).
 */
const servers = z.array(z.union([
  z.object({ id: z.string(), name: z.string() }),
  z.object({ ID: z.string(), Name: z.string() }).transform(({ ID, Name }) => ({ id: ID, name: Name })),
]));

export const parseServers = (value: unknown, where: string): SnapshotServer[] => checked(servers, value, where, 'servers');

/** Address groups as GET /v2.0/address-groups answers them: what a rule naming one admits. */
const addressGroups = z.array(z.object({ id: z.string(), addresses: z.array(cidr) }));

export const parseAddressGroups = (value: unknown, where: string): SnapshotAddressGroup[] => checked(addressGroups, value, where, 'address_groups');

/** What the agents API gave (null: nothing to read) and how it was read, or why not. */
export interface AgentsRead {
  agents: SnapshotAgent[] | null;
  how: string;
}

/**
 * The snapshot from checked collections (groups lose their embedded rules: the rules are their own list),
 * with each port's firewall as its binding and the agents show it.
 */
export function assemble(source: string, parsed: Parsed, agents: AgentsRead): Snapshot {
  return {
    source,
    networks: parsed.networks,
    subnets: parsed.subnets,
    ports: parsed.ports,
    security_groups: parsed.security_groups.map(({ security_group_rules: _embedded, ...group }) => group),
    security_group_rules: parsed.security_group_rules,
    ...(agents.agents && { agents: agents.agents }),
    backends: portBackends(parsed.ports, agents.agents, agents.how),
  };
}
