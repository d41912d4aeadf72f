/**
 * The analyzer over HTTP, for the web console: the cloud it draws, findings,
 * can-reach and exposure over this server's database as the caller's project
 * sees it (an admin sees everything), and a server-sent event on every change.
 * Answers are computed once per (change, project) and reused until the next
 * change.
 */
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { type Finding, type ReachQuery } from '../analysis/answers.js';
import { audit } from '../analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { buildCloud, type Cloud } from '../analysis/cloud.js';
import { exposure } from '../analysis/exposure.js';
import { canReach } from '../analysis/reach.js';
import { InputError } from '../analysis/sources/errors.js';
import { fromStore } from '../analysis/sources/store.js';
import { errors } from '../model/errors.js';
import { type CompileOptions } from '../policy/topology.js';
import { type Store } from '../store/store.js';
import { consoleCloud } from './console-cloud.js';

const POLL_MS = 250;

export function registerAnalysis(app: FastifyInstance, store: Store, compile: Partial<CompileOptions> = {}, options: AuditOptions = DEFAULT_AUDIT_OPTIONS): void {
  // the console's cloud is kept encoded: every page load asks for the same few megabytes
  const cache = new Map<string, { seq: number; cloud: Cloud; findings?: Finding[]; consoleJson?: Buffer }>();
  const view = (req: FastifyRequest) => {
    const project = req.ctx.isAdmin ? undefined : req.ctx.projectId;
    const key = project ?? '*';
    const seq = store.lastChange();
    let hit = cache.get(key);
    if (hit?.seq !== seq) cache.set(key, (hit = { seq, cloud: buildCloud(fromStore(store, project), compile) }));
    return hit;
  };
  const badRequest = (e: unknown) => {
    if (e instanceof InputError) throw errors.badRequest(e.message);
    throw e;
  };

  app.get('/analysis/v1/cloud', async (req, reply) => {
    const v = view(req);
    v.consoleJson ??= Buffer.from(JSON.stringify(consoleCloud(v.cloud.snapshot, v.seq)));
    return reply.type('application/json; charset=utf-8').send(v.consoleJson);
  });

  app.get('/analysis/v1/findings', async (req) => {
    const v = view(req);
    v.findings ??= audit(v.cloud, options);
    return { findings: v.findings };
  });

  app.post('/analysis/v1/can-reach', async (req) => {
    const q = req.body as Partial<ReachQuery> | undefined;
    if (!q || typeof q.src !== 'string' || typeof q.dst !== 'string' || typeof q.protocol !== 'string') {
      throw errors.badRequest('can-reach needs src, dst and protocol (strings), and optionally port');
    }
    if (q.port !== undefined && !Number.isInteger(q.port)) throw errors.badRequest('port must be an integer');
    try {
      return canReach(view(req).cloud, { src: q.src, dst: q.dst, protocol: q.protocol, port: q.port, sourcePort: q.sourcePort, sourceIp: q.sourceIp });
    } catch (e) {
      return badRequest(e);
    }
  });

  app.get('/analysis/v1/exposure', async (req) => {
    const { cloud } = view(req);
    const id = (req.query as Record<string, string | undefined>).port_id;
    const port = id === undefined ? undefined : cloud.ports.get(id);
    if (id !== undefined && !port) throw errors.notFound();
    return { exposure: exposure(cloud, port ? [port] : undefined) };
  });

  // EventSource cannot send headers: the console passes its token as ?token=
  app.get('/analysis/v1/events', (req, reply) => {
    let seq = store.lastChange();
    reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    reply.raw.write(`event: hello\ndata: ${JSON.stringify({ seq })}\n\n`);
    const timer = setInterval(() => {
      const now = store.lastChange();
      if (now === seq) return;
      seq = now;
      reply.raw.write(`event: change\ndata: ${JSON.stringify({ seq })}\n\n`);
    }, POLL_MS);
    req.raw.on('close', () => clearInterval(timer));
  });
}
