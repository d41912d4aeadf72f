/**
 * The Neutron v2.0 URL space: one generic controller (after
 * neutron/api/v2/base.py) serves every resource from its schema and handler.
 */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { errors } from '../model/errors.js';
import { type Body, type Context, prepareCreate, prepareUpdate, visibleView, withDefaults } from '../model/schema.js';
import { type Handler } from '../store/handler.js';
import { NEUTRON_QUOTAS, type Quotas } from '../store/quotas.js';
import { type Repositories, type Store } from '../store/repository.js';
import { extensions } from './extensions.js';
import { TAGGED } from './tags.js';
import { type Guard } from './guard.js';
import { type BaseUrl } from './keystone.js';
import { applyFilters, page, pageLinks, type Params, parseListQuery, storeQuery } from './query.js';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: Context;
  }
}

function queryParams(req: FastifyRequest): Params {
  const q = req.url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(req.url.slice(q + 1))];
}

/**
 * check_request_for_revision_constraint: the one `revision_number=N` among the
 * If-Match etags (webob's parse: quoted or not, weak or not); other etags are ignored.
 */
function ifMatch(req: FastifyRequest): number | undefined {
  const raw = req.headers['if-match'];
  if (typeof raw !== 'string') return undefined;
  let revision: number | undefined;
  for (const tag of raw.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'))) {
    if (!tag.startsWith('revision_number=')) continue;
    if (revision !== undefined) throw errors.badIfMatch('Multiple revision_number etags are not supported.');
    const text = tag.slice('revision_number='.length);
    // Python's int(): an optional sign, digits, surrounding blanks
    if (!/^\s*[+-]?\d+\s*$/.test(text)) throw errors.badIfMatch('Revision number etag must be in the format of revision_number=<int>');
    revision = Number(text);
  }
  return revision;
}

/** `writes`: whether the request writes the object; one that writes nothing is held to no constraint (its If-Match still parsed) */
async function checkRevision(db: Repositories, req: FastifyRequest, handler: Handler, id: string, writes = true): Promise<void> {
  const wanted = ifMatch(req);
  if (wanted === undefined || !writes) return;
  const current = await handler.revision(db, req.ctx, id);
  if (wanted !== current) throw errors.revisionConflict(wanted, current);
}

export function registerNeutron(
  app: FastifyInstance, store: Store, handlers: Record<string, Handler>, baseUrl: BaseUrl, guard?: Guard, quotas: Quotas = NEUTRON_QUOTAS,
): void {
  const guarded = <T>(db: Repositories, req: FastifyRequest, reply: FastifyReply, write: () => Promise<T>): Promise<T> =>
    (guard ? guard(db, req, reply, write) : write());
  app.get('/', async (req) => ({ versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(req)}/v2.0/` }] }] }));
  app.get('/v2.0', async (req) => ({
    resources: Object.entries(handlers).map(([path, h]) => ({
      name: h.spec.name, collection: h.spec.collection, links: [{ rel: 'self', href: `${baseUrl(req)}/v2.0/${path}` }],
    })),
  }));
  app.get('/v2.0/extensions', async () => ({ extensions }));
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const extension = extensions.find((e) => e.alias === req.params.alias);
    if (!extension) throw errors.extensionNotFound(req.params.alias);
    return { extension };
  });

  for (const [path, handler] of Object.entries(handlers)) {
    const { spec } = handler;
    const view = (req: FastifyRequest, item: Body, fields?: string[]) => visibleView(spec, item, req.ctx, fields);
    const base = `/v2.0/${path}`;
    // tag-ports-during-bulk-creation: tags a POST may set (only ports' allow it) are added once the item is there
    const createTagged = async (tx: Repositories, ctx: Context, item: Body): Promise<Body> => {
      const { tags, ...rest } = item;
      const created = await handler.create(tx, ctx, rest);
      if (!Array.isArray(tags) || !tags.length) return created;
      await tx.tags.replace(TAGGED[path], created.id as string, tags as string[]);
      return handler.show(tx, ctx, created.id as string);
    };

    app.get(base, async (req) => {
      const params = queryParams(req);
      const q = parseListQuery(spec, params);
      const { query, rest } = storeQuery(q, handler.columns, handler.sets);
      const write = await handler.beforeList?.(store, req.ctx, q.filters);
      if (write) await store.transaction(write);
      // a list only reads: one snapshot, no write lock
      const { listed, marker } = await store.snapshot(async (tx) => {
        // _get_marker_obj: the marker must be an item the caller can see
        if (spec.strictMarker && q.marker !== undefined) await handler.show(tx, req.ctx, q.marker);
        return {
          listed: await handler.list(tx, req.ctx, query),
          // the API pages: the marker as the caller sees it, whatever the filters
          marker: rest && q.marker !== undefined ? (await handler.list(tx, req.ctx, { where: { id: [q.marker] } }))[0] : undefined,
        };
      });
      const { items, paged } = rest ? page(applyFilters(listed, rest), q, marker) : { items: listed, paged: q.limit !== undefined };
      const out: Body = { [spec.collection]: items.map((i) => view(req, i, q.fields)) };
      if (paged) out[`${spec.collection}_links`] = pageLinks(`${baseUrl(req)}${base}`, params, items, q.limit!, q.pageReverse);
      return out;
    });
    app.post(base, async (req, reply) => {
      const { items, bulk } = prepareCreate(spec, req.ctx, req.body);
      if (bulk && handler.bulk === false) throw errors.internal();
      const created = await store.transaction((tx) => guarded(tx, req, reply, async () => {
        // each item counts against the project it names (as Neutron's quota hook, before its policy checks)
        await quotas.reserve(tx, spec.name, items.map((i) => (i.project_id as string | undefined) ?? req.ctx.projectId));
        const out: Body[] = [];
        for (const i of items) out.push(await createTagged(tx, req.ctx, withDefaults(spec, i)));
        return out;
      }));
      const views = created.map((c) => view(req, c));
      return reply.code(201).send(bulk ? { [spec.collection]: views } : { [spec.name]: views[0] });
    });
    app.get<{ Params: { id: string } }>(`${base}/:id`, async (req) => {
      const fields = queryParams(req).filter(([k]) => k === 'fields').map(([, v]) => v);
      return { [spec.name]: view(req, await store.snapshot((tx) => handler.show(tx, req.ctx, req.params.id)), fields) };
    });
    app.put<{ Params: { id: string } }>(`${base}/:id`, async (req, reply) => {
      const item = prepareUpdate(spec, req.ctx, req.body);
      const updated = await store.transaction(async (tx) => {
        await checkRevision(tx, req, handler, req.params.id, Object.keys(item).length > 0 || !!handler.writesWhenEmpty);
        return guarded(tx, req, reply, () => handler.update(tx, req.ctx, req.params.id, item));
      });
      return { [spec.name]: view(req, updated) };
    });
    app.delete<{ Params: { id: string } }>(`${base}/:id`, async (req, reply) => {
      await store.transaction(async (tx) => {
        await checkRevision(tx, req, handler, req.params.id);
        await handler.remove(tx, req.ctx, req.params.id);
      });
      return reply.code(204).send();
    });
    for (const [action, run] of Object.entries(handler.actions ?? {})) {
      const url = `${base}/:id/${action}`;
      app.put<{ Params: { id: string } }>(url, async (req, reply) =>
        store.transaction((tx) => guarded(tx, req, reply, () => run(tx, req.ctx, req.params.id, req.body))));
      // the route maps the action to PUT alone
      app.route({ method: ['GET', 'POST', 'DELETE', 'PATCH'], url, handler: async () => { throw errors.methodNotAllowed(); } });
    }
    // Neutron routes a collection-level PUT/DELETE to the member action with no id
    for (const method of ['PUT', 'DELETE'] as const) {
      app.route({ method, url: base, handler: async (req) => { await handler.show(store, req.ctx, 'None'); throw errors.notFound(); } });
    }
  }
}
