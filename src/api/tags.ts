/**
 * standard-attr-tag (neutron/extensions/tagging.py, Zed): /v2.0/{collection}/{id}/tags
 * on networks, subnets, ports and security groups. Zed's tag controller asks no policy:
 * whoever can read the resource can tag it; one they cannot read is TagResourceNotFound.
 */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { MAX_TAG_LEN } from '../model/common.js';
import { errors, NeutronError } from '../model/errors.js';
import { type Body, string, uniqueStrings } from '../model/schema.js';
import { type Handler } from '../store/handler.js';
import { type Repositories, type Store, type TaggedResource } from '../store/repository.js';

/** URL collection → the tagged resource's table */
export const TAGGED: Record<string, TaggedResource> = {
  networks: 'networks', subnets: 'subnets', ports: 'ports', 'security-groups': 'security_groups',
};

const tagInput = string(MAX_TAG_LEN);
const tagsInput = uniqueStrings(MAX_TAG_LEN);

/** validate_tag: the path's tag */
function validTag(tag: string): string {
  const r = tagInput.safeParse(tag);
  if (!r.success) throw errors.invalidInput(r.error.issues[0].message);
  return tag;
}

/** validate_tags: the replace-all body */
function validTags(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('tags' in body)) throw errors.invalidInput('Invalid tags body');
  const r = tagsInput.safeParse((body as Body).tags);
  if (!r.success) throw errors.invalidInput(r.error.issues[0].message);
  return r.data as string[];
}

export function registerTags(app: FastifyInstance, store: Store, handlers: Record<string, Handler>): void {
  for (const [path, resource] of Object.entries(TAGGED)) {
    const handler = handlers[path];
    /** the resource as the caller may read it, or TagResourceNotFound */
    const visible = async (db: Repositories, req: FastifyRequest<{ Params: { id: string } }>) => {
      try {
        await handler.show(db, req.ctx, req.params.id);
      } catch (e) {
        if (e instanceof NeutronError && e.status === 404) throw errors.tagResourceNotFound(resource, req.params.id);
        throw e;
      }
    };
    const base = `/v2.0/${path}/:id/tags`;
    type One = { Params: { id: string; tag: string } };
    app.get<{ Params: { id: string } }>(base, (req) => store.snapshot(async (db) => {
      await visible(db, req);
      return { tags: await db.tags.of(resource, req.params.id) };
    }));
    app.get<One>(`${base}/:tag`, async (req, reply: FastifyReply) => {
      const tag = validTag(req.params.tag);
      const tags = await store.snapshot(async (db) => { await visible(db, req); return db.tags.of(resource, req.params.id); });
      if (!tags.includes(tag)) throw errors.tagNotFound(tag);
      return reply.code(204).send();
    });
    app.put<{ Params: { id: string } }>(base, async (req) => {
      const tags = validTags(req.body);
      await store.transaction(async (db) => { await visible(db, req); await db.tags.replace(resource, req.params.id, tags); });
      // update_tags answers with the body as sent
      return { tags };
    });
    app.put<One>(`${base}/:tag`, async (req, reply) => {
      const tag = validTag(req.params.tag);
      await store.transaction(async (db) => { await visible(db, req); await db.tags.add(resource, req.params.id, tag); });
      return reply.code(201).type('application/json').send('null');
    });
    app.delete<One>(`${base}/:tag`, async (req, reply) => {
      const tag = validTag(req.params.tag);
      const had = await store.transaction(async (db) => { await visible(db, req); return db.tags.remove(resource, req.params.id, tag); });
      if (!had) throw errors.tagNotFound(tag);
      return reply.code(204).send();
    });
    app.delete<{ Params: { id: string } }>(base, async (req, reply) => {
      await store.transaction(async (db) => { await visible(db, req); await db.tags.replace(resource, req.params.id, []); });
      return reply.code(204).send();
    });
  }
}
