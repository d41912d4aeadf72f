/**
 * The differential fuzzer's requests: each one drawn from the seed and from what the
 * generator knows (the objects the reference server made so far, by handle), never
 * from ids, so both servers get the same request with their own ids put in.
 */
import { type Json } from '../conformance/normalise.js';
import { IDENTITIES, type Who } from '../conformance/session.js';
import { seededRandom } from '../../src/model/random.js';
import { Dice } from '../support/random-cloud.js';
import { type Ctx, type Handle, NOBODY, NOT_AN_ID, RESOURCES, type Resource } from './resources.js';

export interface Request {
  /** what kind of request it is, without its values: differences are counted by it */
  label: string;
  who: Who;
  method: string;
  /** handles as `<<name>>`, in the path, body and headers alike */
  path: string;
  body?: Json;
  headers?: Record<string, string>;
  /** the resource it creates, updates, deletes or lists */
  resource: Resource;
  op: 'create' | 'show' | 'list' | 'update' | 'delete';
  /** the handle it shows, updates or deletes */
  target?: string;
}

const V = '/v2.0';
// c, the conformance scenario's third project (RBAC sharing), is not fuzzed yet: RBAC is no resource of the table
const WHO: Record<Exclude<Who, 'anon'>, number> = { a: 6, b: 2, admin: 2, c: 0 };
const OPS = { create: 5, show: 2, list: 3, update: 2, delete: 1 } as const;
const FIELDS = ['id', 'name', 'project_id', 'tenant_id', 'revision_number', 'status', 'bogus'];
/** how many objects of a kind the generator keeps alive before it prefers deleting them */
const ENOUGH = 12;

export const tokenOf = (h: string) => `<<${h}>>`;
export const handleOf = (token: Json): string | undefined => (typeof token === 'string' ? /^<<(.+)>>$/.exec(token)?.[1] : undefined);

export class Generator {
  readonly g: Dice;
  private readonly handles = new Map<string, Handle>();
  private counter = 0;
  private made = 0;

  constructor(seed: number) {
    this.g = new Dice(seededRandom(seed));
  }

  private ofKind(kind: string): Handle[] {
    return [...this.handles.values()].filter((h) => h.kind === kind);
  }

  private ctx(who: Who): Ctx {
    const project = who === 'anon' ? '' : IDENTITIES[who].project;
    const choose = (kind: string) => {
      const all = this.ofKind(kind);
      const own = all.filter((h) => h.owner === project);
      const from = own.length && this.g.chance(0.75) ? own : all;
      return from.length ? this.g.pick(from) : undefined;
    };
    return {
      g: this.g,
      ref: (kind) => {
        const h = this.g.chance(0.05) ? undefined : choose(kind);
        return h ? tokenOf(h.name) : NOBODY;
      },
      handle: choose,
      fresh: () => ++this.counter,
    };
  }

  next(): Request {
    const who = this.g.weighted(WHO);
    const resource = this.g.pick(RESOURCES);
    const live = this.ofKind(resource.kind).length;
    const op = this.g.weighted({ ...OPS, delete: live > ENOUGH ? 4 : OPS.delete, create: live > ENOUGH ? 2 : OPS.create, update: resource.update ? OPS.update : 0 });
    const c = this.ctx(who);
    const base = `${V}/${resource.collection}`;
    const target = () => {
      const r = this.g.chance(0.1) ? this.g.pick([NOBODY, NOT_AN_ID]) : c.ref(resource.kind);
      return { id: r, handle: handleOf(r) };
    };
    const at = `${op} ${resource.kind}`;
    switch (op) {
      case 'create': {
        const { label, body } = resource.create(c);
        return { label: `${at} ${label}`, who, method: 'POST', path: base, body: { [resource.member]: body }, resource, op };
      }
      case 'show': {
        const t = target();
        const fields = this.g.chance(0.3) ? `?${this.fields()}` : '';
        return { label: `${at}${fields ? ' fields' : ''}${t.handle ? '' : ` ${t.id}`}`, who, method: 'GET', path: `${base}/${t.id}${fields}`, resource, op, target: t.handle };
      }
      case 'update': {
        const t = target();
        const { label, body } = resource.update!(c);
        const headers = this.g.chance(0.15) ? { 'If-Match': this.g.pick(['revision_number=0', 'revision_number=1', 'revision_number=2', 'revision_number=x', '*', '1']) } : undefined;
        return { label: `${at} ${label}${headers ? ' If-Match' : ''}${t.handle ? '' : ` ${t.id}`}`, who, method: 'PUT', path: `${base}/${t.id}`, body: { [resource.member]: body }, headers, resource, op, target: t.handle };
      }
      case 'delete': {
        const t = target();
        return { label: `${at}${t.handle ? '' : ` ${t.id}`}`, who, method: 'DELETE', path: `${base}/${t.id}`, resource, op, target: t.handle };
      }
      case 'list': {
        const { label, query } = this.query(resource, c);
        return { label: `${at} ${label}`, who, method: 'GET', path: `${base}${query ? `?${query}` : ''}`, resource, op };
      }
    }
  }

  private fields(): string {
    return [...new Set([this.g.pick(FIELDS), this.g.pick(FIELDS)])].map((f) => `fields=${f}`).join('&');
  }

  /**
   * A list's query: some of the resource's filters (a key twice now and then), fields,
   * and pages whose contents do not depend on the random order of ids.
   */
  private query(resource: Resource, c: Ctx): { label: string; query: string } {
    const filters = resource.filters(c);
    const parts: string[] = [];
    const label: string[] = [];
    const n = this.g.pick([0, 0, 1, 1, 1, 2]);
    for (let i = 0; i < n; i++) {
      const key = this.g.pick(Object.keys(filters));
      const times = this.g.chance(0.15) ? 2 : 1;
      for (let j = 0; j < times; j++) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(this.g.pick(filters[key]))}`);
      label.push(times > 1 ? `${key}*2` : key);
    }
    if (this.g.chance(0.2)) { parts.push(this.fields()); label.push('fields'); }
    if (this.g.chance(0.12)) {
      // a page's links name its first and last item, which by id are random: pages hold one item or none
      const one = c.ref(resource.kind);
      const page = this.g.pick([`limit=1000&id=${one}`, 'limit=0', 'limit=-1', 'limit=x', `limit=1000&marker=${c.ref(resource.kind)}&id=${one}`,
        `marker=${c.ref(resource.kind)}`, `limit=2&marker=${NOBODY}`, `limit=1000&marker=${NOT_AN_ID}`, 'limit=1&name=nobody-has-this', `page_reverse=true&limit=1000&id=${one}`]);
      parts.push(page);
      label.push(page.replace(/=[^&]*/g, '').replace(/&/g, '+'));
    }
    return { label: label.join(',') || 'all', query: parts.join('&') };
  }

  /** What the reference server's answer taught: a made object's handle, a deleted one's end. */
  learn(req: Request, status: number, body: any): string | undefined {
    if (req.op === 'create' && status === 201) {
      const sent = (req.body as Record<string, Record<string, Json>>)[req.resource.member];
      const name = `${req.resource.kind.replace(/_/g, '-')}${++this.made}`;
      const project = typeof sent.project_id === 'string' ? sent.project_id : typeof sent.tenant_id === 'string' ? sent.tenant_id : IDENTITIES[req.who as Exclude<Who, 'anon'>].project;
      const parent = handleOf(req.resource.parent?.(sent) ?? null);
      this.handles.set(name, { name, kind: req.resource.kind, owner: body?.[req.resource.member]?.project_id ?? project, parent, facts: req.resource.facts?.(sent) ?? {} });
      return name;
    }
    if (req.op === 'delete' && status === 204 && req.target) this.forget(req.target);
    return undefined;
  }

  /** A deleted object, and the objects in it (Neutron deletes them with it or refused the delete). */
  private forget(name: string): void {
    this.handles.delete(name);
    for (const h of [...this.handles.values()]) if (h.parent === name) this.forget(h.name);
  }

  /** Each project's default group, from a list that shows it: a handle like any other. */
  learnDefaults(groups: { id: string; name: string; project_id: string }[]): { name: string; project: string }[] {
    const found: { name: string; project: string }[] = [];
    for (const grp of groups) {
      const name = `sg-default-${grp.project_id}`;
      if (grp.name !== 'default' || this.handles.has(name)) continue;
      this.handles.set(name, { name, kind: 'security_group', owner: grp.project_id, facts: {} });
      found.push({ name, project: grp.project_id });
    }
    return found;
  }
}
