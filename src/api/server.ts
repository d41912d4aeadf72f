/** Builds the HTTP server: JSON handling, Neutron's error envelope, auth, and the two APIs. */
import Fastify, { type FastifyInstance } from 'fastify';
import { errors, NeutronError } from '../model/errors.js';
import { seededRandom } from '../model/random.js';
import { type CompileOptions } from '../policy/topology.js';
import { networkHandler } from '../store/networks.js';
import { portHandler } from '../store/ports.js';
import { ruleHandler } from '../store/security-group-rules.js';
import { securityGroupHandler } from '../store/security-groups.js';
import { type Store } from '../store/store.js';
import { subnetHandler } from '../store/subnets.js';
import { registerAnalysis } from './analysis.js';
import { type GuardMode, wideGuard } from './guard.js';
import { authenticate, type AuthMode, Unauthorized } from './auth.js';
import { type Account, TokenStore } from './identity.js';
import { registerKeystone } from './keystone.js';
import { registerNeutron } from './neutron.js';
import { registerUi } from './ui.js';

export interface ServerOptions {
  store: Store;
  auth: AuthMode;
  accounts: Account[];
  tokenTtlSeconds?: number;
  logger?: boolean | object;
  /** fixes the random draws of MAC and IP allocation (reproducible labs and tests) */
  allocationSeed?: number;
  /** what to do with writes that would widen remote groups through a wide pair */
  guard?: GuardMode;
  /** how the agents compile (safe expansion): the analysis answers for what they enforce */
  compile?: Partial<CompileOptions>;
}

export function buildServer(o: ServerOptions): FastifyInstance {
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: 10 * 1024 * 1024 });
  const tokens = new TokenStore(o.store);

  // Neutron reads any body as JSON, whatever its content type; an empty body is no body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch {
      done(errors.badRequest('Body contains invalid data'), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof NeutronError) return reply.code(err.status).send(err.toJSON());
    if (err instanceof Unauthorized) return reply.code(401).send(err.body);
    req.log.error(err);
    const e = errors.internal();
    return reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errors.notFound().toJSON()));

  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/v2.0')) req.ctx = authenticate(o.auth, req.headers, tokens);
    else if (req.url.startsWith('/analysis/')) req.ctx = authenticate(o.auth, { ...req.headers, ...tokenFromQuery(req.url) }, tokens);
  });

  registerKeystone(app, { accounts: o.accounts, tokens, tokenTtlSeconds: o.tokenTtlSeconds ?? 3600 });
  registerNeutron(app, o.store, {
    networks: networkHandler(o.store),
    subnets: subnetHandler(o.store),
    ports: portHandler(o.store, o.allocationSeed === undefined ? Math.random : seededRandom(o.allocationSeed)),
    'security-groups': securityGroupHandler(o.store),
    'security-group-rules': ruleHandler(o.store),
  }, wideGuard(o.store, o.guard ?? 'off', o.compile?.omitWidePairs));
  registerAnalysis(app, o.store, o.compile);
  registerUi(app);
  return app;
}

/** EventSource cannot set headers: a token in the query stands for X-Auth-Token. */
function tokenFromQuery(url: string): Record<string, string> {
  const token = new URL(url, 'http://x').searchParams.get('token');
  return token ? { 'x-auth-token': token } : {};
}
