/**
 * The web console over one snapshot, read-only (`portsec console`): the
 * analysis routes the console reads, answered from the snapshot, and the
 * console itself; no Neutron API, so nothing can be written. There is no
 * Keystone either: a token made at start, which the printed URL carries, stands
 * for a login (a page of another origin, or another user of the machine, does
 * not know it).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type Snapshot } from '../analysis/snapshot.js';
import { type CompileOptions } from '../policy/topology.js';
import { NOAUTH_CONTEXT, KEYSTONE_401, Unauthorized } from './auth.js';
import { registerAnalysis, snapshotSource } from './analysis.js';
import { answerErrors, tokenFromQuery } from './server.js';
import { registerUi } from './ui.js';

export interface ConsoleServer {
  app: FastifyInstance;
  /** what every analysis call must carry (X-Auth-Token, or ?token= on the event stream) */
  token: string;
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function buildConsoleServer(snapshot: Snapshot, o: { compile?: Partial<CompileOptions>; token?: string } = {}): ConsoleServer {
  const token = o.token ?? randomBytes(24).toString('base64url');
  const app = Fastify({ logger: false });
  answerErrors(app);
  app.addHook('onRequest', async (req) => {
    // decided on the route matched, never on the raw URL
    if (!req.routeOptions.url?.startsWith('/analysis/')) return;
    const given = req.headers['x-auth-token'] ?? tokenFromQuery(req.query)['x-auth-token'];
    if (typeof given !== 'string' || !same(given, token)) throw new Unauthorized(KEYSTONE_401);
    // the snapshot is what its reader could see: all of it, to everyone holding the token
    req.ctx = NOAUTH_CONTEXT;
  });
  registerAnalysis(app, snapshotSource(snapshot), { compile: o.compile, stillValid: async () => true });
  registerUi(app);
  return { app, token };
}

/** The URL that opens the console logged in: the token rides in the fragment, which no request carries. */
export function consoleUrl(address: string, token: string, source: string): string {
  return `${address}/ui#${new URLSearchParams({ token, source })}`;
}
