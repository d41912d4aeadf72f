/**
 * What makes two runs of the conformance scenario comparable: every value a server
 * picks at random or from the clock becomes a name that says what it is.
 *
 * - ids of the objects the scenario made: the names it saved them under (`<net1>`);
 *   groups it did not make (each project's default group) and security group rules
 *   (the ones a server adds by itself included) by what they are
 *   (`<sg.default:proj-a>`, `<rule <sg.ssh> ingress IPv4 tcp 22-22 0.0.0.0/0>`);
 *   any other id by order of appearance (`<uuid#3>`)
 * - MAC addresses and fixed IPs a server chose for a port: `<port2.mac>`, `<port2.ip4>`
 * - timestamps: `<ts>`; the server's own URL in links: `<base-url>`
 * - VXLAN segmentation ids (Neutron picks them at random): `<vni>`
 *
 * A scenario's literal values (the MACs and addresses it asks for) stay as they are.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const MAC = /\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/g;
const TIMESTAMP = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?/g;
const RANDOM_NUMBERS = new Set(['provider:segmentation_id']);
/** An allocation pool's bounds are the scenario's own, though a server may well pick them for a port. */
const LITERAL_ADDRESSES = new Set(['start', 'end']);

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function* objects(v: Json): Generator<Record<string, Json>> {
  if (Array.isArray(v)) for (const x of v) yield* objects(x);
  else if (isObject(v)) {
    yield v;
    for (const x of Object.values(v)) yield* objects(x);
  }
}

export class Normaliser {
  private readonly ids = new Map<string, string>();
  private readonly macs = new Map<string, string>();
  private readonly ips: { pattern: RegExp; name: string }[] = [];
  private readonly knownIps = new Set<string>();
  private others = 0;

  constructor(private readonly baseUrl: string) {}

  /** An id the scenario saved under a name. */
  id(id: string, name: string): void {
    if (!this.ids.has(id)) this.ids.set(id, `<${name}>`);
  }

  mac(mac: string, name: string): void {
    if (!this.macs.has(mac)) this.macs.set(mac, `<${name}>`);
  }

  ip(ip: string, name: string): void {
    if (this.knownIps.has(ip)) return;
    this.knownIps.add(ip);
    const escaped = ip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // whole addresses only: 10.1.1.10 must not match inside 10.1.1.100
    this.ips.push({ pattern: new RegExp(`(?<![0-9A-Za-z.:])${escaped}(?![0-9A-Za-z.:])`, 'g'), name: `<${name}>` });
  }

  /**
   * Names the objects no call saved, from every response of a run: first the default
   * groups (a rule's name says its group), then the rules.
   */
  nameImplicit(responses: Json[]): void {
    for (const r of responses) {
      for (const o of objects(r)) {
        if (o.name === 'default' && typeof o.id === 'string' && typeof o.project_id === 'string' && 'security_group_rules' in o) {
          this.id(o.id, `sg.default:${o.project_id}`);
        }
      }
    }
    for (const r of responses) {
      for (const o of objects(r)) {
        if (typeof o.id !== 'string' || typeof o.security_group_id !== 'string' || typeof o.direction !== 'string') continue;
        const remote = o.remote_group_id ? this.text(String(o.remote_group_id)) : (o.remote_ip_prefix ?? '*');
        const ports = o.port_range_min === undefined ? '' : ` ${o.port_range_min ?? '*'}-${o.port_range_max ?? '*'}`;
        this.id(o.id, `rule ${this.text(o.security_group_id)} ${o.direction} ${o.ethertype} ${o.protocol ?? '*'}${ports} ${remote}`);
      }
    }
  }

  text(s: string, addresses = true): string {
    s = s.split(this.baseUrl).join('<base-url>');
    if (addresses) for (const { pattern, name } of this.ips) s = s.replace(pattern, name);
    s = s.replace(UUID, (id) => {
      if (!this.ids.has(id)) this.ids.set(id, `<uuid#${++this.others}>`);
      return this.ids.get(id)!;
    });
    s = s.replace(MAC, (mac) => this.macs.get(mac) ?? mac);
    // Neutron names the RBAC callback that refused a change with the function's id() in its process
    return s.replace(TIMESTAMP, '<ts>').replace(/(validate_rbac_policy_change)-\d+/g, '$1-<id>');
  }

  json(v: Json): Json {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.json(x));
    if (isObject(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k),
        RANDOM_NUMBERS.has(k) && typeof x === 'number' ? '<vni>' : LITERAL_ADDRESSES.has(k) && typeof x === 'string' ? this.text(x, false) : this.json(x)]));
    }
    return v;
  }
}

/** Requests whose top-level list comes in an order the API promises. */
export const sorted = (path: string) => /[?&]sort_key=/.test(path);

/** A string equal for equal answers; `ordered` keeps the order of the top-level lists. */
export function canonical(v: Json, ordered = false): string {
  if (Array.isArray(v)) {
    const items = v.map((x) => canonical(x));
    return `[${(ordered ? items : items.sort()).join(',')}]`;
  }
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k], ordered)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The answer with its lists in one order, so that recording twice writes the same file:
 * Neutron returns unsorted lists in id order, which is random. Only the top-level lists
 * of a sorted request (`ordered`) keep the order they came in.
 */
export function settled(v: Json, ordered = false): Json {
  if (Array.isArray(v)) {
    const items = v.map((x) => settled(x));
    return ordered ? items : items.map((x) => [canonical(x), x] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, x]) => x);
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, settled(x, ordered)]));
  return v;
}
