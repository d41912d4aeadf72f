/**
 * `serve --guard wide-pair-in-remote-group=reject|warn|off[:LEN[,LEN6]]`: a write that
 * would make a remote group stand for a wide block of addresses — by default one wider
 * than the subnet of a port whose pairs make it up, as the audit judges; with LEN, of
 * prefix length LEN or shorter — (the union of its members' allowed-address pairs: `0.0.0.0/1` + `128.0.0.0/1`
 * is the /0) in a rule that did not already admit that block is refused with a 409,
 * or let through with a warning (logged, and in the X-Portsec-Warning header). That
 * covers a port gaining pairs or groups and a new rule naming an already wide group.
 * It judges with the audit's function (wideGroups) over the members the IR gives the
 * group, and only the groups the write touches, after a one-query bound on how much
 * their pairs could cover: its cost follows the write, not the store (bench/guard). Runs inside the write's transaction, so a refusal changes
 * nothing; what was wide before does not block unrelated writes.
 */
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { parseCidr } from '../model/addresses.js';
import { errors } from '../model/errors.js';
import { type Family, type Member } from '../policy/ir.js';
import { portMembers } from '../policy/membership.js';
import { type CompileOptions, parseOptions, parsePort } from '../policy/topology.js';
import { DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { pairLimit, type WideBlock, wideBlocks, wideGroups, type WideLimit, widestLimit, within } from '../policy/wide-members.js';
import { type Rule } from '../model/security-group-rule.js';
import { type Repositories } from '../store/repository.js';
import { portInput } from '../store/topology.js';

export type GuardMode = 'reject' | 'warn' | 'off';
export const GUARD_MODES: GuardMode[] = ['reject', 'warn', 'off'];

export interface GuardOptions {
  mode: GuardMode;
  /** when a block is wide, per family (default: the audit's, DEFAULT_AUDIT_OPTIONS.widePair) */
  limits?: WideLimit;
}

/** Wraps one write, on the write's transaction; returns what the write returned. */
export type Guard = <T>(db: Repositories, req: FastifyRequest, reply: FastifyReply, write: () => Promise<T>) => Promise<T>;

/** Per rule naming a group: the wide blocks it admits. */
type Judgement = Map<string, { rule: Rule; blocks: WideBlock[] }>;

const items = (body: unknown, one: string, many: string): Record<string, unknown>[] => {
  const b = body as Record<string, unknown> | undefined;
  const list = Array.isArray(b?.[many]) ? (b[many] as unknown[]) : b?.[one] !== undefined ? [b[one]] : [];
  return list.map((i) => (i && typeof i === 'object' && one in i ? (i as Record<string, unknown>)[one] : i) as Record<string, unknown>)
    .filter((i) => i && typeof i === 'object');
};

export function wideGuard(o: GuardOptions, compile: Partial<CompileOptions> = {}): Guard | undefined {
  if (o.mode === 'off') return undefined;
  const limits = o.limits ?? DEFAULT_AUDIT_OPTIONS.widePair;
  const options = parseOptions({}, compile);

  /** the group's members as the IR expands them, of the ports that hold pairs, and the prefix length of each one's widest subnet per family */
  const members = async (db: Repositories, groupId: string): Promise<{ members: Member[]; subnetPrefix: (portId: string, f: Family) => number | undefined }> => {
    const ports = await db.ports.getMany(await db.securityGroups.pairHolders(groupId));
    const subnetIds = [...new Set(ports.flatMap((p) => p.fixed_ips.map((ip) => ip.subnet_id)))];
    const prefixOf = new Map((subnetIds.length ? await db.subnets.list({ where: { id: subnetIds } }) : []).map((s) => [s.id, parseCidr(s.cidr, true)]));
    const widest = new Map<string, number>();
    for (const p of ports) {
      for (const ip of p.fixed_ips) {
        const c = prefixOf.get(ip.subnet_id);
        const key = `${p.id} ${c?.family === 6 ? 'IPv6' : 'IPv4'}`;
        if (c && c.prefixlen < (widest.get(key) ?? Infinity)) widest.set(key, c.prefixlen);
      }
    }
    return {
      members: ports.flatMap((p) => portMembers(parsePort(portInput(p, '')), options.sgInfoSource, options.omitWidePairs, options.backend)),
      subnetPrefix: (portId, f) => widest.get(`${portId} ${f}`),
    };
  };

  /**
   * Whether the group's pairs, all taken together, cover a block as wide as the widest any
   * port's limit allows: if not, the members the IR gives the group (some of these pairs) cover
   * none wide at their ports' own limits (most writes stop here, with one query and no port read).
   */
  const mayBeWide = async (db: Repositories, groupId: string): Promise<boolean> => {
    const pairs = (await db.securityGroups.memberPairAddresses(groupId)).map((ip): Member => ({ ip, mac: null, portId: '', via: 'address_pair' }));
    return wideBlocks(pairs, (_, family) => widestLimit(limits, family)).length > 0;
  };

  const judge = async (db: Repositories, groups: Iterable<string>): Promise<Judgement> => {
    const out: Judgement = new Map();
    for (const g of groups) {
      if (!await mayBeWide(db, g)) continue;
      const naming = await db.rules.list({ where: { remote_group_id: [g] } });
      if (!naming.length) continue;
      const { members: all, subnetPrefix } = await members(db, g);
      const byFamily = (f: Family) => all.filter((m) => (m.ip.includes(':') ? 'IPv6' : 'IPv4') === f);
      for (const wide of wideGroups(g, byFamily, naming, pairLimit(limits, subnetPrefix))) {
        for (const rule of wide.rules) out.set(rule.id, { rule, blocks: wide.blocks });
      }
    }
    return out;
  };

  /** the groups whose members or naming rules this request may change, as they are before it */
  const touched = async (db: Repositories, req: FastifyRequest, url: string): Promise<Set<string>> => {
    const groups = new Set<string>();
    if (url.startsWith('/v2.0/ports')) {
      const id = (req.params as { id?: string }).id;
      if (id) for (const g of (await db.ports.get(id))?.security_groups ?? []) groups.add(g);
      for (const item of items(req.body, 'port', 'ports')) {
        if (Array.isArray(item.security_groups)) for (const g of item.security_groups) groups.add(String(g));
        else if (!id) {
          const project = req.ctx.isAdmin && typeof (item.project_id ?? item.tenant_id) === 'string' ? String(item.project_id ?? item.tenant_id) : req.ctx.projectId;
          const def = await db.securityGroups.defaultOf(project);
          if (def) groups.add(def);
        }
      }
    } else if (url.startsWith('/v2.0/security-group-rules')) {
      for (const item of items(req.body, 'security_group_rule', 'security_group_rules')) {
        if (typeof item.remote_group_id === 'string') groups.add(item.remote_group_id);
      }
    }
    return groups;
  };

  const describe = (rule: Rule, block: WideBlock) => {
    const pairs = block.pairs.map((m) => `${m.ip} of port ${m.portId}`).join(', ');
    return `Allowed address pair${block.pairs.length > 1 ? 's' : ''} ${pairs} would make remote group ${rule.remote_group_id} stand for ${block.cidr} in rule ${rule.id} (group ${rule.security_group_id})`;
  };

  return async (db, req, reply, write) => {
    // only ports and rules change what a remote group stands for
    const url = req.routeOptions.url ?? '';
    if (!url.startsWith('/v2.0/ports') && !url.startsWith('/v2.0/security-group-rules')) return write();
    const groups = await touched(db, req, url);
    const before = await judge(db, groups);
    const since = await db.changes.last();
    const result = await write();
    // what the write really touched: the ports and rules it changed, as they are now
    const changes = await db.changes.since(since);
    const ids = (resource: string) => changes.filter((c) => c.resource === resource).map((c) => c.resource_id);
    for (const p of await db.ports.getMany(ids('port'))) for (const g of p.security_groups) groups.add(g);
    for (const r of await db.rules.list({ where: { id: ids('security_group_rule') } })) if (r.remote_group_id) groups.add(r.remote_group_id);
    const fresh: string[] = [];
    for (const [id, { rule, blocks }] of await judge(db, groups)) {
      const had = before.get(id)?.blocks ?? [];
      for (const b of blocks) if (!had.some((h) => within(b, h))) fresh.push(describe(rule, b));
    }
    if (!fresh.length) return result;
    const what = fresh.join('; ');
    if (o.mode === 'reject') throw errors.widePairInRemoteGroup(what);
    req.log.warn({ guard: 'wide-pair-in-remote-group' }, what);
    void reply.header('X-Portsec-Warning', `wide-pair-in-remote-group: ${what}`.replace(/[^\x20-\x7e]/g, ''));
    return result;
  };
}
