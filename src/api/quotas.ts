/**
 * /v2.0/quotas as Neutron's quotasv2 and quota_details controllers answer it,
 * under the Zed default policy: anyone reads their own project's quotas, only
 * an admin another's, the list, or a change.
 */
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { errors } from '../model/errors.js';
import { type Limits, type QuotaResource, quotaSpec, updateOptions } from '../model/quota.js';
import { type Body, type Context, prepareUpdate } from '../model/schema.js';
import { type Quotas } from '../store/quotas.js';
import { type Store } from '../store/repository.js';

type ProjectRequest = FastifyRequest<{ Params: { project: string } }>;

/** validate_policy: the rule on the caller's own project (get_quota: admin_or_owner, the others admin_only) */
function requireAdmin(ctx: Context, rule: 'get_quota' | 'update_quota' | 'delete_quota'): void {
  if (!ctx.isAdmin) throw errors.policy(`rule:${rule}`);
}

/** show and default: another project's quotas are get_quota's to allow */
function mayRead(req: ProjectRequest): void {
  if (req.params.project !== req.ctx.projectId) requireAdmin(req.ctx, 'get_quota');
}

export function registerQuotas(app: FastifyInstance, store: Store, quotas: Quotas): void {
  const limitsOf = (project: string): Promise<Limits> => store.snapshot((tx) => quotas.limits(tx, project));

  app.get('/v2.0/quotas', async (req) => {
    requireAdmin(req.ctx, 'get_quota');
    const set = new Map<string, Map<string, number>>();
    for (const q of await store.quotas.all()) {
      if (!set.has(q.project_id)) set.set(q.project_id, new Map());
      set.get(q.project_id)!.set(q.resource, q.limit);
    }
    // the defaults' keys, then the project's, as get_all_quotas builds each entry
    return {
      quotas: [...set].map(([project, limits]) => ({ ...quotas.defaults, project_id: project, tenant_id: project, ...quotas.withSet(limits) })),
    };
  });
  app.post('/v2.0/quotas', async () => {
    throw errors.notImplemented('POST requests are not supported on this resource.');
  });
  // the caller's own project, as the quota client asks for it (Neutron's router takes a POST as well)
  for (const key of ['project', 'tenant'] as const) {
    app.route({
      method: ['GET', 'POST'],
      url: `/v2.0/quotas/${key}`,
      handler: async (req) => {
        if (!req.ctx.projectId) throw errors.badRequest('Tenant-id was missing from quota request.');
        return { [key]: { [`${key}_id`]: req.ctx.projectId } };
      },
    });
  }

  const show = async (req: ProjectRequest) => {
    mayRead(req);
    return { quota: await limitsOf(req.params.project) };
  };
  app.get('/v2.0/quotas/:project', show);
  // Neutron's router sends a POST on a project's quota to show
  app.post('/v2.0/quotas/:project', show);
  // a member action Neutron's router sends every method to
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: '/v2.0/quotas/:project/default',
    handler: async (req: ProjectRequest) => {
      mayRead(req);
      return { quota: quotas.defaults };
    },
  });
  app.get('/v2.0/quotas/:project/details', async (req: ProjectRequest) => {
    if (req.params.project !== req.ctx.projectId && !req.ctx.isAdmin) {
      throw errors.adminRequired('Only admin is authorized to access quotas for another project');
    }
    return { quota: await store.snapshot((tx) => quotas.details(tx, req.params.project)) };
  });

  app.put('/v2.0/quotas/:project', async (req: ProjectRequest) => {
    requireAdmin(req.ctx, 'update_quota');
    const body = req.body as Body | undefined;
    const inner = body?.quota;
    // Neutron fails on such a body with a 500; the caller's error is a 400
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) throw errors.badRequest(`Unable to find 'quota' in request body`);
    const { checkLimit, rest } = updateOptions(inner as Body);
    const limits = prepareUpdate(quotaSpec, req.ctx, { quota: rest }) as Record<string, number>;
    const project = req.params.project;
    return store.transaction(async (tx) => {
      if (checkLimit) {
        for (const [resource, limit] of Object.entries(limits)) {
          const used = await tx.quotas.used(project, resource as QuotaResource);
          if (used > limit) throw errors.quotaBelowUsage(limit, resource, used);
        }
      }
      for (const [resource, limit] of Object.entries(limits)) await tx.quotas.set(project, resource, limit);
      return { quota: await quotas.limits(tx, project) };
    });
  });
  app.delete('/v2.0/quotas/:project', async (req: ProjectRequest, reply) => {
    requireAdmin(req.ctx, 'delete_quota');
    if (!(await store.transaction((tx) => tx.quotas.remove(req.params.project)))) throw errors.quotaNotFound(req.params.project);
    return reply.code(204).send();
  });
}
