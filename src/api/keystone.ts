/** The Keystone v3 subset the OpenStack clients and tempest use, at /identity/v3 and /v3. */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Accounts, DEFAULT_DOMAIN, idFor, type IssuedToken, passwordMatches, type Principal, principalOf, type TokenStore } from './identity.js';
import { KEYSTONE_401 } from './auth.js';

export interface KeystoneOptions {
  accounts: Accounts;
  tokens: TokenStore;
  tokenTtlSeconds: number;
  base: BaseUrl;
}

const REGION = 'RegionOne';

/** The URL a link or catalog entry starts with. */
export type BaseUrl = (req: FastifyRequest) => string;

/** `--public-url` when given (as Neutron's public_endpoint and Keystone's public_endpoint); else the request's own Host. */
export function publicBase(url: string | undefined): BaseUrl {
  if (url) {
    const fixed = url.replace(/\/+$/, '');
    return () => fixed;
  }
  return (req) => `${req.protocol}://${req.host}`;
}

function catalog(base: string) {
  const endpoints = (url: string, service: string) => ['public', 'internal', 'admin'].map((iface) => ({
    id: idFor('endpoint', `${service}:${iface}`), interface: iface, region_id: REGION, region: REGION, url,
  }));
  return [
    { type: 'network', name: 'neutron', id: idFor('service', 'network'), endpoints: endpoints(`${base}/`, 'network') },
    { type: 'identity', name: 'keystone', id: idFor('service', 'identity'), endpoints: endpoints(`${base}/identity/v3`, 'identity') },
  ];
}

function tokenBody(t: IssuedToken, base: string) {
  const p = t.principal;
  return {
    token: {
      methods: t.methods,
      user: { id: p.userId, name: p.userName, domain: DEFAULT_DOMAIN, password_expires_at: null },
      audit_ids: [t.auditId],
      expires_at: t.expiresAt,
      issued_at: t.issuedAt,
      project: { id: p.projectId, name: p.projectName, domain: DEFAULT_DOMAIN },
      is_domain: false,
      roles: p.roles.map((r) => ({ id: idFor('role', r), name: r })),
      catalog: catalog(base),
    },
  };
}

const version = (base: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${base}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

const keystoneError = (reply: FastifyReply, code: number, title: string, message: string) => reply.code(code).send({ error: { code, title, message } });

/** keystone/auth/schema.py's token request, as far as portsec reads it */
const authRequest = z.object({
  identity: z.object({
    methods: z.array(z.string()),
    password: z.object({
      user: z.object({ id: z.string().optional(), name: z.string().optional(), password: z.string().optional() }),
    }).optional(),
    token: z.object({ id: z.string() }).optional(),
  }),
  scope: z.union([z.object({ project: z.object({ id: z.string().optional(), name: z.string().optional() }).optional() }), z.string()]).optional(),
});

/** Keystone's schema error: "Invalid input for field 'identity/methods': ..." */
function invalidAuth(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue.path.slice(0, -1).join('/');
  return `Invalid input for field '${field}${field ? '/' : ''}${String(issue.path.at(-1) ?? 'auth')}': ${issue.message}`;
}

type AuthRequest = z.infer<typeof authRequest>;

/** Finds the account an auth request names (user by name or id) and checks the method's secret. */
async function resolve(o: KeystoneOptions, identity: AuthRequest['identity']): Promise<{ principal: Principal; expiresAt?: string } | undefined> {
  if (identity.methods.includes('password')) {
    const user = identity.password?.user ?? {};
    const account = user.name !== undefined ? o.accounts.byName(user.name) : o.accounts.byId(user.id);
    return account && passwordMatches(account, user.password) ? { principal: principalOf(account) } : undefined;
  }
  if (identity.methods.includes('token')) {
    // a token obtained from a token ends when its source does
    const source = await o.tokens.check(identity.token?.id ?? '');
    return source && { principal: source.principal, expiresAt: source.expiresAt };
  }
  return undefined;
}

/** A project scope must be one the user belongs to (each account has one project). */
function scoped(p: Principal, scope: AuthRequest['scope']): Principal | undefined {
  const project = typeof scope === 'object' ? scope.project : undefined;
  if (!project) return p;
  return project.name === p.projectName || project.id === p.projectId ? p : undefined;
}

/** Every project an account names, as Keystone shows a project. */
function projects(o: KeystoneOptions, req: FastifyRequest) {
  const names = [...new Set(o.accounts.list().map((a) => a.project_name))];
  return names.map((name) => {
    const id = idFor('project', name);
    return { id, name, domain_id: DEFAULT_DOMAIN.id, description: '', enabled: true, is_domain: false, parent_id: DEFAULT_DOMAIN.id, tags: [], options: {}, links: { self: `${o.base(req)}/identity/v3/projects/${id}` } };
  });
}

export function registerKeystone(app: FastifyInstance, o: KeystoneOptions): void {
  /** The caller of an identity API, or undefined with a 401 sent */
  const projectsCaller = async (req: FastifyRequest, reply: FastifyReply): Promise<Principal | undefined> => {
    const caller = await o.tokens.check(String(req.headers['x-auth-token'] ?? ''));
    if (!caller) void reply.code(401).send(KEYSTONE_401);
    return caller?.principal;
  };
  /** GET/HEAD/DELETE on a subject token: the caller's own token, or any token for an admin */
  const subject = async (req: FastifyRequest, reply: FastifyReply, action: string): Promise<IssuedToken | undefined> => {
    const caller = await o.tokens.check(String(req.headers['x-auth-token'] ?? ''));
    if (!caller) {
      void reply.code(401).send(KEYSTONE_401);
      return undefined;
    }
    const token = req.headers['x-subject-token'];
    const found = typeof token === 'string' ? await o.tokens.check(token) : undefined;
    if (!found) {
      void keystoneError(reply, 404, 'Not Found', 'Could not find token.');
      return undefined;
    }
    if (!caller.principal.isAdmin && caller.principal.userId !== found.principal.userId) {
      void keystoneError(reply, 403, 'Forbidden', `You are not authorized to perform the requested action: identity:${action}.`);
      return undefined;
    }
    return found;
  };
  for (const prefix of ['/identity/v3', '/v3']) {
    app.get(prefix, async (req) => ({ version: version(o.base(req)) }));
    app.post(`${prefix}/auth/tokens`, async (req, reply) => {
      const body = req.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || !body.auth) return keystoneError(reply, 400, 'Bad Request', 'Expecting to find identity in auth.');
      const parsed = authRequest.safeParse(body.auth);
      if (!parsed.success) return keystoneError(reply, 400, 'Bad Request', invalidAuth(parsed.error));
      const who = await resolve(o, parsed.data.identity);
      const p = who && scoped(who.principal, parsed.data.scope);
      if (!p) return reply.code(401).send(KEYSTONE_401);
      const t = await o.tokens.issue(p, o.tokenTtlSeconds, parsed.data.identity.methods, who.expiresAt);
      return reply.code(201).header('X-Subject-Token', t.token).send(tokenBody(t, o.base(req)));
    });
    app.get(`${prefix}/auth/tokens`, async (req, reply) => {
      const found = await subject(req, reply, 'validate_token');
      if (!found) return reply;
      return reply.header('X-Subject-Token', req.headers['x-subject-token']).send(tokenBody(found, o.base(req)));
    });
    app.delete(`${prefix}/auth/tokens`, async (req, reply) => {
      if (!await subject(req, reply, 'revoke_token')) return reply;
      await o.tokens.revoke(String(req.headers['x-subject-token']));
      return reply.code(204).send();
    });
    // the projects of the accounts, as `openstack … create --project NAME-OR-ID` looks one up: any for an admin, its own for a member
    app.get<{ Params: { id: string } }>(`${prefix}/projects/:id`, async (req, reply) => {
      const caller = await projectsCaller(req, reply);
      if (!caller) return reply;
      const project = projects(o, req).find((p) => p.id === req.params.id);
      if (!project) return keystoneError(reply, 404, 'Not Found', `Could not find project: ${req.params.id}.`);
      if (!caller.isAdmin && caller.projectId !== project.id) return keystoneError(reply, 403, 'Forbidden', 'You are not authorized to perform the requested action: identity:get_project.');
      return { project };
    });
    app.get<{ Querystring: { name?: string } }>(`${prefix}/projects`, async (req, reply) => {
      const caller = await projectsCaller(req, reply);
      if (!caller) return reply;
      if (!caller.isAdmin) return keystoneError(reply, 403, 'Forbidden', 'You are not authorized to perform the requested action: identity:list_projects.');
      return { projects: projects(o, req).filter((p) => req.query.name === undefined || p.name === req.query.name), links: { self: `${o.base(req)}${prefix}/projects`, next: null, previous: null } };
    });
  }
  app.get('/identity', async (req, reply) => reply.code(300).send({ versions: { values: [version(o.base(req))] } }));
}
