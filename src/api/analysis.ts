/**
 * The analyzer over HTTP, for the web console: the cloud it draws, findings,
 * can-reach, exposure and the diff between two backends over a source (this
 * server's database as the caller's project sees it, an admin seeing everything;
 * or one snapshot, read-only, for `portsec console`), and a server-sent event on
 * every change.
 * Answers are computed once per (change, project), kept encoded, and reused
 * until the next change.
 */
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { agentsCloud, VIEWS } from '../analysis/agents.js';
import { type ReachQuery } from '../analysis/answers.js';
import { audit } from '../analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { type AgentEnforcement, buildCloud, type Cloud } from '../analysis/cloud.js';
import { diff } from '../analysis/diff.js';
import { fixesFor, withFixes } from '../analysis/fix/prove.js';
import { exposure } from '../analysis/exposure.js';
import { canReach, canReachEach, perService } from '../analysis/reach.js';
import { explained, explainedDiff, explainedExposure } from '../analysis/report/explain.js';
import { InputError } from '../analysis/sources/errors.js';
import { fromStore } from '../analysis/sources/store.js';
import { type Snapshot } from '../analysis/snapshot.js';
import { errors } from '../model/errors.js';
import { DEFAULT_NEUTRON_BACKEND, isNeutronBackend, NEUTRON_BACKENDS, type NeutronBackend } from '../policy/neutron-backends.js';
import { type CompileOptions } from '../policy/topology.js';
import { type Store, type ViewVersionRepository } from '../store/repository.js';
import { consoleCloud } from './console-cloud.js';

const POLL_MS = 250;

/** Where the analysis reads the cloud from. */
export interface AnalysisSource {
  /** a number that moves on every change of the source */
  last(): Promise<number>;
  /**
   * The snapshot as `project` sees it (undefined: everything), the source's change it is as
   * of, and the view's own change number (`view` names the project's view, `agents` the
   * agents' versions it is read with).
   */
  read(project: string | undefined, view: string, agents: string | undefined): Promise<{ change: number; seq: number; snapshot: Snapshot }>;
}

/** This server's database: each project's view numbered apart (viewVersion). */
export function storeSource(store: Store): AnalysisSource {
  return {
    last: () => store.changes.last(),
    // the snapshot, its change and its version number read and written together
    read: (project, view, agents) => store.transaction(async (tx) => {
      const snapshot = await fromStore(tx, store.name, project);
      return { change: await tx.changes.last(), seq: await viewVersion(tx.views, view, snapshot, agents), snapshot };
    }),
  };
}

/** One snapshot that never changes (a dump, or a cloud read once): every caller sees all of it. */
export function snapshotSource(snapshot: Snapshot): AnalysisSource {
  return { last: async () => 1, read: async () => ({ change: 1, seq: 1, snapshot }) };
}

export interface AnalysisOptions {
  compile?: Partial<CompileOptions>;
  audit?: AuditOptions;
  /**
   * The agents running beside the server (portsec serve --agents on|model): each one's host, the
   * store's change it follows, a version that moves with its state, and the IR it enforces.
   */
  agents?: () => readonly (AgentEnforcement & { change: number; version: string })[];
  /** whether a streaming caller's credentials still hold (the stream ends when they do not) */
  stillValid: (req: FastifyRequest) => Promise<boolean>;
}

/**
 * A change number per view: it moves only when what the caller's project sees
 * changes, so no project learns how often others write. Kept in the database,
 * so it never goes back across restarts (the console compares them). An admin's
 * view also moves when an agent's state does (`agents`: their versions).
 */
async function viewVersion(versions: ViewVersionRepository, view: string, snapshot: Snapshot, agents?: string): Promise<number> {
  const hash = createHash('sha256').update(JSON.stringify(snapshot));
  const digest = (agents === undefined ? hash : hash.update(agents)).digest('hex');
  const row = await versions.get(view);
  if (row?.digest === digest) return row.version;
  const version = (row?.version ?? 0) + 1;
  await versions.put(view, version, digest);
  return version;
}

/** The firewall a request forces on every port (`backend` in the query or the body); not given: each port's own, as its binding shows. */
function backendOf(value: unknown): NeutronBackend | undefined {
  if (value === undefined) return undefined;
  if (!isNeutronBackend(value)) throw errors.badRequest(`backend must be one of ${NEUTRON_BACKENDS.join(', ')}: the firewall the cloud runs`);
  return value;
}

const queryBackend = (req: FastifyRequest) => backendOf((req.query as Record<string, unknown> | undefined)?.backend);

interface View {
  /** the store's change this view was built at */
  change: number;
  /** the agents' versions it was built with (admins only see the agents: their hosts are admin-only) */
  agents: string | undefined;
  /** the view's own change number (what the console and the event stream see) */
  seq: number;
  cloud: Cloud;
  findingsJson?: Buffer;
  /** the findings with their proven fixes (`?fixes=1`) */
  fixedJson?: Buffer;
  consoleJson?: Buffer;
  /** diffs from this view's backend, by the backend moved to */
  diffJson?: Map<NeutronBackend, Buffer>;
}

export function registerAnalysis(app: FastifyInstance, source: AnalysisSource, o: AnalysisOptions): void {
  const options = o.audit ?? DEFAULT_AUDIT_OPTIONS;
  // answers are kept encoded per (project, change): every page load asks for the same few megabytes
  const cache = new Map<string, View>();
  const view = async (req: FastifyRequest, backend?: NeutronBackend): Promise<View> => {
    const project = req.ctx.isAdmin ? undefined : req.ctx.projectId;
    const key = project ?? '*';
    const agents = project === undefined ? o.agents?.() : undefined;
    const agentsKey = agents && JSON.stringify(agents.map((a) => [a.host, a.version]));
    // one cloud per backend; the view's change number is the project's, whatever the backend
    const cacheKey = `${key} ${backend ?? 'per-port'}`;
    const hit = cache.get(cacheKey);
    if (hit?.change === await source.last() && hit.agents === agentsKey) return hit;
    const { change, seq, snapshot } = await source.read(project, key, agentsKey);
    const cloud = buildCloud(snapshot, { ...o.compile, ...(backend && { backend }) }, agents?.map(({ host, policy }) => ({ host, policy })));
    const fresh: View = { change, agents: agentsKey, seq, cloud };
    cache.set(cacheKey, fresh);
    return fresh;
  };
  const badRequest = (e: unknown) => {
    if (e instanceof InputError) throw errors.badRequest(e.message);
    throw e;
  };
  const json = (reply: FastifyReply, body: Buffer) => reply.type('application/json; charset=utf-8').send(body);

  app.get('/analysis/v1/cloud', async (req, reply) => {
    const v = await view(req);
    v.consoleJson ??= Buffer.from(JSON.stringify(consoleCloud(v.cloud.snapshot, v.seq)));
    return json(reply, v.consoleJson);
  });

  app.get('/analysis/v1/findings', async (req, reply) => {
    const backend = queryBackend(req);
    const v = await view(req, backend);
    const fixes = (req.query as { fixes?: string }).fixes;
    if (fixes === '1' || fixes === 'true') {
      v.fixedJson ??= Buffer.from(JSON.stringify({ backend: backend ?? v.cloud.topology.options.backend, findings: withFixes(v.cloud, audit(v.cloud, options), options) }));
      return json(reply, v.fixedJson);
    }
    v.findingsJson ??= Buffer.from(JSON.stringify({ backend: backend ?? v.cloud.topology.options.backend, findings: audit(v.cloud, options) }));
    return json(reply, v.findingsJson);
  });

  // one finding's fixes, each proven: those offered, and those refused with why
  app.get('/analysis/v1/findings/:id/fixes', async (req) => {
    const backend = queryBackend(req);
    const v = await view(req, backend);
    const { id } = req.params as { id: string };
    const findings = audit(v.cloud, options);
    const finding = findings.find((f) => f.id === id) ?? (() => {
      throw errors.http(404, `no finding has id ${id}`);
    })();
    return { finding: finding.id, ...fixesFor(v.cloud, finding, options, findings) };
  });

  // which agents run and the store's change each follows (a caller waits for them to catch up)
  app.get('/analysis/v1/agents', async (req) => {
    if (!req.ctx.isAdmin) throw errors.http(403, 'the agents and their hosts are for admins');
    return { change: await source.last(), agents: (o.agents?.() ?? []).map(({ host, change }) => ({ host, change })) };
  });

  app.post('/analysis/v1/can-reach', async (req) => {
    const q = req.body as (Partial<ReachQuery> & { backend?: unknown }) | undefined;
    if (!q || typeof q.src !== 'string' || typeof q.dst !== 'string' || typeof q.protocol !== 'string') {
      throw errors.badRequest('can-reach needs src, dst and protocol (strings), and optionally port');
    }
    if (q.port !== undefined && !Number.isInteger(q.port)) throw errors.badRequest('port must be an integer');
    const which = q.view ?? 'api';
    if (!VIEWS.includes(which)) throw errors.badRequest(`view must be one of ${VIEWS.join(', ')}: what the API says, or what the agents enforce`);
    if (which === 'agents' && !o.agents) throw errors.badRequest('view=agents: no agents run in this server (start it with --agents on or --agents model)');
    if (which === 'agents' && !req.ctx.isAdmin) throw errors.http(403, 'view=agents is for admins (it reads the compute nodes)');
    const backend = backendOf(q.backend);
    if (which === 'agents' && backend !== undefined && backend !== DEFAULT_NEUTRON_BACKEND) throw errors.badRequest(`view=agents answers for the agents' own firewall (${DEFAULT_NEUTRON_BACKEND}), not ${backend}`);
    try {
      const { cloud } = await view(req, backend);
      const on = which === 'agents' ? agentsCloud(cloud) : cloud;
      const query: ReachQuery = {
        src: q.src, dst: q.dst, protocol: q.protocol, port: q.port, sourcePort: q.sourcePort, sourceIp: q.sourceIp, sourceMac: q.sourceMac, destinationIp: q.destinationIp, ...(q.view && { view: q.view }),
      };
      // without a port, as the CLI: an answer per service the rules tell apart
      if (perService(query)) return { services: canReachEach(on, query).map((s) => ({ service: s.service, ...explained(s.answer) })) };
      return explained(canReach(on, query));
    } catch (e) {
      return badRequest(e);
    }
  });

  app.get('/analysis/v1/exposure', async (req) => {
    const backend = queryBackend(req);
    const { cloud } = await view(req, backend);
    const { port_id: id, members } = req.query as Record<string, string | undefined>;
    const port = id === undefined ? undefined : cloud.ports.get(id);
    if (id !== undefined && !port) throw errors.notFound();
    return { backend: backend ?? cloud.topology.options.backend, exposure: explainedExposure(exposure(cloud, port ? [port] : undefined, { members: members === '1' || members === 'true' })) };
  });

  // migration impact: the flow classes whose verdict changes from `backend` to `to_backend`, over one snapshot
  app.get('/analysis/v1/diff', async (req, reply) => {
    const backend = queryBackend(req);
    if (backend === undefined) throw errors.badRequest(`diff needs backend, one of ${NEUTRON_BACKENDS.join(', ')}: the firewall the cloud runs now`);
    const to = backendOf((req.query as Record<string, unknown> | undefined)?.to_backend);
    if (to === undefined) throw errors.badRequest(`diff needs to_backend, one of ${NEUTRON_BACKENDS.join(', ')}: the firewall the cloud moves to`);
    const v = await view(req, backend);
    v.diffJson ??= new Map();
    let body = v.diffJson.get(to);
    if (!body) {
      const rows = diff(v.cloud, buildCloud(v.cloud.snapshot, { ...o.compile, backend: to }));
      v.diffJson.set(to, (body = Buffer.from(JSON.stringify({ backend, to_backend: to, rows: explainedDiff(rows) }))));
    }
    return json(reply, body);
  });

  // a change event whenever the caller's view changes; the stream ends with the caller's token
  app.get('/analysis/v1/events', async (req, reply) => {
    let seq = (await view(req)).seq;
    // the stream is written here, not by Fastify
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    reply.raw.write(`event: hello\ndata: ${JSON.stringify({ seq })}\n\n`);
    let closed = false;
    // one look at a time: the next is due POLL_MS after the last one ended
    const look = async () => {
      if (closed) return;
      if (!await o.stillValid(req)) {
        reply.raw.end();
        return;
      }
      const now = (await view(req)).seq;
      if (now !== seq) {
        seq = now;
        reply.raw.write(`event: change\ndata: ${JSON.stringify({ seq })}\n\n`);
      }
      schedule();
    };
    let timer: NodeJS.Timeout;
    const schedule = () => {
      timer = setTimeout(() => void look().catch((e) => {
        req.log.error(e);
        reply.raw.end();
      }), POLL_MS);
    };
    schedule();
    req.raw.on('close', () => {
      closed = true;
      clearTimeout(timer);
    });
  });
}
