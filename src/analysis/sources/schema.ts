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
  type Snapshot, type SnapshotAddressGroup, type SnapshotAgent, type SnapshotBackends, type SnapshotGroup, type SnapshotNetwork, type SnapshotPort, type SnapshotRule, type SnapshotServer, type SnapshotSubnet,
} from '../snapshot.js';
import { eagerList, type ItemList, readLazily } from '../items.js';
import { InputError } from './errors.js';
import { portBackendOf, portBackends } from './port-backends.js';

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

/** One item of each collection. */
const itemOf = {
  networks: z.object(shapes.networks),
  subnets: z.object(shapes.subnets),
  ports: z.object(shapes.ports),
  security_groups: z.object({ ...shapes.security_groups, security_group_rules: z.array(z.unknown()).optional() }),
  security_group_rules: z.object(shapes.security_group_rules).transform(
    // address groups are left out of the snapshot unless a rule uses one; always a copy: bench/audit's audit peaked 130 MiB higher keeping zod's own objects
    ({ remote_address_group_id: addressGroup, ...rule }) => (addressGroup == null ? rule : { ...rule, remote_address_group_id: addressGroup }),
  ),
};

const items: { [C in Collection]: z.ZodType<Parsed[C]> } = {
  networks: tenantScoped(itemOf.networks),
  subnets: z.array(itemOf.subnets),
  ports: tenantScoped(itemOf.ports),
  security_groups: tenantScoped(itemOf.security_groups),
  security_group_rules: tenantScoped(itemOf.security_group_rules),
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
 * the file or request it came from, `root` the JSON path of value in it (`id`: the item's, when value is one).
 */
export function checked<T>(schema: z.ZodType<T>, value: unknown, where: string, root: string, id?: string): T {
  const res = schema.safeParse(value, { error: messages });
  if (res.success) return res.data;
  const [first] = res.error.issues;
  const others = res.error.issues.length - 1;
  const more = others ? ` (and ${others} more problem${others > 1 ? 's' : ''})` : '';
  const at = id === undefined ? root : `${root} (id ${id})`;
  throw new InputError(`${where}: ${pathText(at, first.path, value)}: ${first.message}${more}`);
}

/**
 * Whether `schema` gives `v` back as it is (for the fields ItemList.fields reads: strings, booleans, arrays and
 * objects of them, optional or nullable); false: it may not, and the whole item is checked instead.
 */
function asIs(schema: z.core.$ZodType): (v: unknown) => boolean {
  const def = schema._zod.def as z.core.$ZodTypeDef & { checks?: unknown[]; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; innerType?: z.core.$ZodType };
  const inner = () => asIs(def.innerType!);
  switch (def.type) {
    case 'string': return def.checks?.length ? (v) => typeof v === 'string' && z.safeParse(schema, v).success : (v) => typeof v === 'string';
    case 'boolean': return (v) => typeof v === 'boolean';
    case 'array': {
      const element = asIs(def.element!);
      return (v) => Array.isArray(v) && v.every(element);
    }
    case 'object': {
      // the keys it drops are not read
      const fields = Object.entries(def.shape!).map(([k, t]) => [k, asIs(t)] as const);
      return (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && fields.every(([k, ok]) => ok((v as Record<string, unknown>)[k]));
    }
    case 'optional': {
      const ok = inner();
      return (v) => v === undefined || ok(v);
    }
    case 'nullable': {
      const ok = inner();
      return (v) => v === null || ok(v);
    }
    // a missing field gets its default from the whole item's check
    case 'default': {
      const ok = inner();
      return (v) => v !== undefined && ok(v);
    }
    default: return () => false;
  }
}

/** The collections a dump file's snapshot reads item by item (items.ts); the others are small. */
export type LazyCollection = 'ports' | 'security_group_rules';

/**
 * One collection's items, each checked when first read: the same checks and messages as parseCollection's,
 * of one item (every item's, as parseCollection gives them, when all are read).
 */
export function lazyCollection<C extends LazyCollection>(collection: C, value: unknown, where: string, root: string = collection): ItemList<Parsed[C][number]> {
  type T = Parsed[C][number];
  if (!Array.isArray(value)) return eagerList(parseCollection(collection, value, where, root) as T[]);
  const item = itemOf[collection] as unknown as z.ZodType<T>;
  const shape: Record<string, z.core.$ZodType> = shapes[collection];
  const tests = new Map<string, (v: unknown) => boolean>();
  const test = (k: string) => {
    let t = tests.get(k);
    if (!t) tests.set(k, (t = shape[k] ? asIs(shape[k]) : () => false));
    return t;
  };
  const done: (T | undefined)[] = new Array<T | undefined>(value.length);
  const at = (i: number): T => (done[i] ??= checked(item, tenantAsProject(value[i]), where, `${root}[${i}]`, idOf(value[i])));
  let whole: T[] | undefined;
  return {
    length: value.length,
    at,
    fields: (i, keys) => {
      const v = value[i] as Record<string, unknown>;
      if (typeof v !== 'object' || v === null) return at(i);
      for (const k of keys as readonly string[]) if (!test(k)(v[k])) return at(i);
      return v as unknown as T;
    },
    all: () => {
      try {
        return (whole ??= value.map((_, i) => at(i)));
      } catch (e) {
        // the message of the whole list (its count of problems is every item's)
        parseCollection(collection, value, where, root);
        throw e;
      }
    },
  };
}

/** An item's id for messages, when it has one. */
const idOf = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : undefined);

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
  return assembleLists(source, { ...parsed, ports: eagerList(parsed.ports), security_group_rules: eagerList(parsed.security_group_rules) }, agents, false);
}

/** The lists of a snapshot whose ports and rules may be checked as read (lazyCollection). */
export type ParsedLists = Omit<Parsed, LazyCollection> & { [C in LazyCollection]: ItemList<Parsed[C][number]> };

/**
 * The snapshot of lists; `lazy`: its ports and rules are checked as questions read them (items.ts), and
 * whole when its lists are read (then in full, as `assemble` checks them).
 */
export function assembleLists(source: string, parsed: ParsedLists, agents: AgentsRead, lazy: boolean): Snapshot {
  if (!lazy) return assembled(source, { ...parsed, ports: parsed.ports.all(), security_group_rules: parsed.security_group_rules.all() }, agents);
  const backendOf = portBackendOf(agents.agents);
  let backends: SnapshotBackends['ports'] | undefined;
  // the keys in assembled's order: `portsec snapshot` writes them
  const snapshot: Snapshot = {
    source,
    networks: parsed.networks,
    subnets: parsed.subnets,
    get ports() { return parsed.ports.all(); },
    security_groups: parsed.security_groups.map(({ security_group_rules: _embedded, ...group }) => group),
    get security_group_rules() { return parsed.security_group_rules.all(); },
    ...(agents.agents && { agents: agents.agents }),
    backends: { agents: agents.how, get ports() { return (backends ??= portBackends(parsed.ports.all(), agents.agents, agents.how).ports); } },
  };
  return readLazily(snapshot, { lazy, ports: parsed.ports, rules: parsed.security_group_rules, backendOf });
}

function assembled(source: string, parsed: Parsed, agents: AgentsRead): Snapshot {
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
