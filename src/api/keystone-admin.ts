/**
 * The part of Keystone v3's admin API tempest's dynamic credentials use (cred_client.py,
 * V3CredsClient): find the domain, make and delete projects and users, list roles, give a
 * user a role on a project. Admins only, as Keystone's default policy has it.
 */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DEFAULT_DOMAIN, idFor } from './identity.js';
import { type KeystoneOptions } from './keystone.js';

const ROLES = ['admin', 'member', 'reader'].map((name) => ({ id: idFor('role', name), name, domain_id: null, description: null, options: {} }));

const error = (reply: FastifyReply, code: number, title: string, message: string) => reply.code(code).send({ error: { code, title, message } });

export function registerKeystoneAdmin(app: FastifyInstance, o: KeystoneOptions): void {
  /** true when the caller is an admin; else the answer is sent */
  const admin = async (req: FastifyRequest, reply: FastifyReply, action: string): Promise<boolean> => {
    const caller = await o.tokens.check(String(req.headers['x-auth-token'] ?? ''));
    if (!caller) void error(reply, 401, 'Unauthorized', 'The request you have made requires authentication.');
    else if (!caller.principal.isAdmin) void error(reply, 403, 'Forbidden', `You are not authorized to perform the requested action: identity:${action}.`);
    return caller?.principal.isAdmin === true;
  };
  const link = (req: FastifyRequest, path: string) => ({ self: `${o.base(req)}/identity/v3/${path}` });
  for (const prefix of ['/identity/v3', '/v3']) {
    app.get<{ Querystring: { name?: string } }>(`${prefix}/domains`, async (req, reply) => {
      if (!await admin(req, reply, 'list_domains')) return reply;
      const domains = [{ ...DEFAULT_DOMAIN, description: 'The default domain', enabled: true, tags: [], options: {}, links: link(req, `domains/${DEFAULT_DOMAIN.id}`) }];
      return { domains: domains.filter((d) => req.query.name === undefined || d.name === req.query.name), links: link(req, 'domains') };
    });
    app.get(`${prefix}/roles`, async (req, reply) => {
      if (!await admin(req, reply, 'list_roles')) return reply;
      return { roles: ROLES.map((r) => ({ ...r, links: link(req, `roles/${r.id}`) })), links: link(req, 'roles') };
    });
    app.post<{ Body: { project?: { name?: unknown; description?: unknown } } }>(`${prefix}/projects`, async (req, reply) => {
      if (!await admin(req, reply, 'create_project')) return reply;
      const name = req.body?.project?.name;
      if (typeof name !== 'string' || !name) return error(reply, 400, 'Bad Request', "Invalid input for field 'name': None is not of type 'string'");
      if (o.accounts.projectName(idFor('project', name)) !== undefined) return error(reply, 409, 'Conflict', `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${name}.`);
      const id = o.accounts.addProject(name);
      return reply.code(201).send({ project: { id, name, domain_id: DEFAULT_DOMAIN.id, description: req.body.project!.description ?? '', enabled: true, is_domain: false, parent_id: DEFAULT_DOMAIN.id, tags: [], options: {}, links: link(req, `projects/${id}`) } });
    });
    app.delete<{ Params: { id: string } }>(`${prefix}/projects/:id`, async (req, reply) => {
      if (!await admin(req, reply, 'delete_project')) return reply;
      if (!o.accounts.removeProject(req.params.id)) return error(reply, 404, 'Not Found', `Could not find project: ${req.params.id}.`);
      return reply.code(204).send();
    });
    app.post<{ Body: { user?: { name?: unknown; password?: unknown } } }>(`${prefix}/users`, async (req, reply) => {
      if (!await admin(req, reply, 'create_user')) return reply;
      const { name, password } = req.body?.user ?? {};
      if (typeof name !== 'string' || !name || typeof password !== 'string') return error(reply, 400, 'Bad Request', "Invalid input for field 'user': a name and a password are required");
      if (o.accounts.byName(name)) return error(reply, 409, 'Conflict', `Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID ${DEFAULT_DOMAIN.id}.`);
      const id = o.accounts.addUser(name, password);
      return reply.code(201).send({ user: { id, name, domain_id: DEFAULT_DOMAIN.id, enabled: true, password_expires_at: null, options: {}, links: link(req, `users/${id}`) } });
    });
    app.delete<{ Params: { id: string } }>(`${prefix}/users/:id`, async (req, reply) => {
      if (!await admin(req, reply, 'delete_user')) return reply;
      if (!o.accounts.removeUser(req.params.id)) return error(reply, 404, 'Not Found', `Could not find user: ${req.params.id}.`);
      return reply.code(204).send();
    });
    app.put<{ Params: { project: string; user: string; role: string } }>(`${prefix}/projects/:project/users/:user/roles/:role`, async (req, reply) => {
      if (!await admin(req, reply, 'create_grant')) return reply;
      const project = o.accounts.projectName(req.params.project);
      const role = ROLES.find((r) => r.id === req.params.role);
      if (project === undefined) return error(reply, 404, 'Not Found', `Could not find project: ${req.params.project}.`);
      if (!role) return error(reply, 404, 'Not Found', `Could not find role: ${req.params.role}.`);
      if (!o.accounts.assign(req.params.user, project, role.name)) return error(reply, 404, 'Not Found', `Could not find user: ${req.params.user}.`);
      return reply.code(204).send();
    });
  }
}
