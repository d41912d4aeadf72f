/**
 * `serve --guard wide-pair-in-remote-group=reject|warn|off`: a write that would
 * create the seed's pitfall (a wide allowed-address pair on a member of a
 * group some rule names as remote group) is refused with a 409, or let through
 * with a warning (logged, and in the X-Portsec-Warning header). Runs inside
 * the write's transaction, so a refusal changes nothing; pitfalls that already
 * existed do not block unrelated writes.
 */
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { pitfallKey, pitfalls, type Pitfall } from '../analysis/audit/wide-pairs.js';
import { fromStore } from '../analysis/sources/store.js';
import { errors } from '../model/errors.js';
import { type CompileOptions } from '../policy/topology.js';
import { type Store } from '../store/store.js';

export type GuardMode = 'reject' | 'warn' | 'off';
export const GUARD_MODES: GuardMode[] = ['reject', 'warn', 'off'];

/** Wraps one write; returns what the write returned. */
export type Guard = <T>(req: FastifyRequest, reply: FastifyReply, write: () => T) => T;

const describe = (p: Pitfall) => {
  const rules = p.rules.map((r) => `${r.id} (group ${r.security_group_id})`).join(', ');
  return `Allowed address pair ${p.pair.ip_address} of port ${p.port.id} would make remote group ${p.groupId} stand for ${p.pair.ip_address} in rule(s) ${rules}`;
};

export function wideGuard(store: Store, mode: GuardMode, omitted: CompileOptions['omitWidePairs'] = null): Guard | undefined {
  if (mode === 'off') return undefined;
  const current = () => new Map(pitfalls(fromStore(store), DEFAULT_AUDIT_OPTIONS, omitted).map((p) => [pitfallKey(p), p]));
  return (req, reply, write) => {
    const before = current();
    const result = write();
    const fresh = [...current()].filter(([k]) => !before.has(k)).map(([, p]) => p);
    if (!fresh.length) return result;
    const what = fresh.map(describe).join('; ');
    if (mode === 'reject') throw errors.widePairInRemoteGroup(what);
    req.log.warn({ guard: 'wide-pair-in-remote-group' }, what);
    void reply.header('X-Portsec-Warning', `wide-pair-in-remote-group: ${what}`.replace(/[^\x20-\x7e]/g, ''));
    return result;
  };
}
