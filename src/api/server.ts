/** Builds the HTTP server: JSON handling, Neutron's error envelope, auth, and the two APIs. */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { errors, NeutronError } from '../model/errors.js';
import { type Limits } from '../model/quota.js';
import { seededRandom } from '../model/random.js';
import { type CompileOptions } from '../policy/topology.js';
import { addressGroupHandler } from '../store/address-groups.js';
import { networkHandler } from '../store/networks.js';
import { portHandler } from '../store/ports.js';
import { rbacPolicyHandler } from '../store/rbac-policies.js';
import { NEUTRON_QUOTAS, Quotas } from '../store/quotas.js';
import { type Store } from '../store/repository.js';
import { ruleHandler } from '../store/security-group-rules.js';
import { securityGroupHandler } from '../store/security-groups.js';
import { subnetHandler } from '../store/subnets.js';
import { registerAgents } from './agents.js';
import { type AnalysisOptions, registerAnalysis, storeSource } from './analysis.js';
import { type GuardOptions, wideGuard } from './guard.js';
import { authenticate, type AuthMode, Unauthorized } from './auth.js';
import { type Accounts, TokenStore } from './identity.js';
import { publicBase, registerKeystone } from './keystone.js';
import { registerNeutron } from './neutron.js';
import { registerTags } from './tags.js';
import { registerKeystoneAdmin } from './keystone-admin.js';
import { registerQuotas } from './quotas.js';
import { registerUi } from './ui.js';

export interface ServerOptions {
  store: Store;
  auth: AuthMode;
  accounts: Accounts;
  tokenTtlSeconds?: number;
  /** log every request (JSON, to stdout; tokens in URLs redacted) */
  logger?: boolean;
  /** fixes the random draws of MAC and IP allocation (reproducible labs and tests) */
  allocationSeed?: number;
  /** what to do with writes that would widen remote groups through a wide pair */
  guard?: GuardOptions;
  /** how the agents compile (safe expansion): the analysis answers for what they enforce */
  compile?: Partial<CompileOptions>;
  /** the URL clients reach the server at (links, the catalog); else each request's own Host */
  publicUrl?: string;
  /** largest body accepted, in bytes (413 beyond) */
  bodyLimit?: number;
  /** the agents running beside the server, for the analysis' agents view */
  agents?: AnalysisOptions['agents'];
  /** every project's quotas until an admin sets its own (neutron.conf [quotas]); else Neutron's defaults */
  quotaDefaults?: Limits;
}

/** Deepest JSON nesting a body may have: Neutron's bodies are a few levels deep. */
export const MAX_BODY_DEPTH = 32;
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** How deep `text` nests arrays and objects (strings skipped), without parsing it. */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/** Errors in Neutron's envelope (a 401 in what the component in front of Neutron answers); anything unforeseen is logged and a 500. */
export function answerErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof NeutronError) return reply.code(err.status).send(err.toJSON());
    if (err instanceof Unauthorized) return reply.code(401).send(err.body);
    const status = (err as { statusCode?: number }).statusCode;
    // Fastify's own refusals (a body over the limit, say) are the caller's errors
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send(errors.http(status, (err as Error).message).toJSON());
    req.log.error(err);
    const e = errors.internal();
    return reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errors.notFound().toJSON()));
}

/** Who must authenticate, decided on the route a request matched (never on its raw URL). */
type RouteAuth = 'token' | 'token-or-query' | undefined;

function routeAuth(url: string): RouteAuth {
  if (url === '/v2.0' || url.startsWith('/v2.0/')) return 'token';
  // EventSource cannot set headers: the console's event stream may carry its token as ?token=
  if (url === '/analysis/v1/events') return 'token-or-query';
  if (url.startsWith('/analysis/')) return 'token';
  return undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

export function buildServer(o: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: o.logger ? { serializers: { req: (req) => ({ method: req.method, url: redactToken(req.url), remoteAddress: req.ip }) } } : false,
    bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // a tag is a path parameter of up to 255 characters (standard-attr-tag), percent-encoded up to three times as long
    routerOptions: { maxParamLength: 1024 },
    // a malformed URL is the caller's error, in Neutron's shape
    frameworkErrors: (err, _req, reply) => void (reply as FastifyReply).code(400).send(errors.badRequest(err.message).toJSON()),
  });
  const accounts = o.accounts;
  const tokens = new TokenStore(o.store.tokens, accounts);
  const base = publicBase(o.publicUrl);

  // Neutron reads any body as JSON, whatever its content type; an empty body is no body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => {
    if (text === '') return done(null, undefined);
    if (nesting(text as string) > MAX_BODY_DEPTH) return done(errors.badRequest(`Body nests deeper than ${MAX_BODY_DEPTH} levels`), undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch {
      done(errors.badRequest('Body contains invalid data'), undefined);
    }
  });

  answerErrors(app);

  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, auth: routeAuth(route.url ?? route.path) };
  });
  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config?.auth;
    if (!auth) return;
    const headers = auth === 'token-or-query' ? { ...req.headers, ...tokenFromQuery(req.query) } : req.headers;
    req.ctx = await authenticate(o.auth, headers, tokens);
  });

  const keystone = { accounts, tokens, tokenTtlSeconds: o.tokenTtlSeconds ?? 3600, base };
  registerKeystone(app, keystone);
  registerKeystoneAdmin(app, keystone);
  const quotas = o.quotaDefaults ? new Quotas(o.quotaDefaults) : NEUTRON_QUOTAS;
  const handlers = {
    networks: networkHandler(quotas),
    subnets: subnetHandler(),
    ports: portHandler(o.allocationSeed === undefined ? Math.random : seededRandom(o.allocationSeed), quotas),
    'security-groups': securityGroupHandler(quotas),
    'security-group-rules': ruleHandler(quotas),
    'address-groups': addressGroupHandler(),
    'rbac-policies': rbacPolicyHandler(),
  };
  registerNeutron(app, o.store, handlers, base, wideGuard(o.guard ?? { mode: 'off' }, o.compile), quotas);
  registerTags(app, o.store, handlers);
  registerQuotas(app, o.store, quotas);
  registerAgents(app, () => (o.agents?.() ?? []).map((a) => a.host));
  registerAnalysis(app, storeSource(o.store), { compile: o.compile, agents: o.agents, stillValid: (req) => stillAuthenticated(o.auth, req, tokens) });
  registerUi(app);
  return app;
}

/** Whether the caller of a long-lived request still holds a valid token. */
async function stillAuthenticated(mode: AuthMode, req: FastifyRequest, tokens: TokenStore): Promise<boolean> {
  try {
    await authenticate(mode, { ...req.headers, ...tokenFromQuery(req.query) }, tokens);
    return true;
  } catch {
    return false;
  }
}

/** A URL as it may be logged: the console's ?token= is a secret. */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1***');
}

/** The parsed query's token, standing for X-Auth-Token. */
export function tokenFromQuery(query: unknown): Record<string, string> {
  const token = (query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token ? { 'x-auth-token': token } : {};
}
