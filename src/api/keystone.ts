/** The Keystone v3 subset the OpenStack clients and tempest use, at /identity/v3 and /v3. */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { type Account, DEFAULT_DOMAIN, idFor, passwordMatches, type Principal, principalOf, type TokenStore } from './identity.js';
import { KEYSTONE_401 } from './auth.js';

export interface KeystoneOptions {
  accounts: Account[];
  tokens: TokenStore;
  tokenTtlSeconds: number;
}

const REGION = 'RegionOne';

export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? req.hostname}`;
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

function tokenBody(p: Principal, issuedAt: string, expiresAt: string, base: string, methods: string[]) {
  return {
    token: {
      methods,
      user: { id: p.userId, name: p.userName, domain: DEFAULT_DOMAIN, password_expires_at: null },
      audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
      expires_at: expiresAt,
      issued_at: issuedAt,
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

function badAuth(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ error: { code: 400, title: 'Bad Request', message } });
}

/** Finds the account an auth request names (user by name or id) and checks the method's secret. */
function resolve(o: KeystoneOptions, identity: Record<string, any>): Principal | undefined {
  const methods: string[] = identity.methods ?? [];
  if (methods.includes('password')) {
    const user = identity.password?.user ?? {};
    const account = o.accounts.find((a) => a.username === user.name || idFor('user', a.username) === user.id);
    return account && passwordMatches(account, user.password) ? principalOf(account) : undefined;
  }
  if (methods.includes('token')) return o.tokens.check(String(identity.token?.id ?? ''))?.principal;
  return undefined;
}

/** A project scope must be one the user belongs to (each account has one project). */
function scoped(p: Principal, scope: Record<string, any> | undefined): Principal | undefined {
  const project = scope?.project;
  if (!project) return p;
  return project.name === p.projectName || project.id === p.projectId ? p : undefined;
}

export function registerKeystone(app: FastifyInstance, o: KeystoneOptions): void {
  for (const prefix of ['/identity/v3', '/v3']) {
    app.get(prefix, async (req) => ({ version: version(baseUrl(req)) }));
    app.post(`${prefix}/auth/tokens`, async (req, reply) => {
      const auth = (req.body as Record<string, any> | undefined)?.auth;
      if (!auth?.identity?.methods) return badAuth(reply, 'Expecting to find identity in auth.');
      const who = resolve(o, auth.identity);
      const p = who && scoped(who, auth.scope);
      if (!p) return reply.code(401).send(KEYSTONE_401);
      const t = o.tokens.issue(p, o.tokenTtlSeconds);
      return reply.code(201).header('X-Subject-Token', t.token)
        .send(tokenBody(p, t.issuedAt, t.expiresAt, baseUrl(req), auth.identity.methods));
    });
    app.get(`${prefix}/auth/tokens`, async (req, reply) => {
      const subject = req.headers['x-subject-token'];
      const found = typeof subject === 'string' ? o.tokens.check(subject) : undefined;
      if (!found || !o.tokens.check(String(req.headers['x-auth-token'] ?? ''))) return reply.code(404).send({ error: { code: 404, title: 'Not Found', message: 'Could not find token.' } });
      return reply.header('X-Subject-Token', subject).send(tokenBody(found.principal, found.issuedAt, found.expiresAt, baseUrl(req), ['password']));
    });
  }
  app.get('/identity', async (req, reply) => reply.code(300).send({ versions: { values: [version(baseUrl(req))] } }));
}
