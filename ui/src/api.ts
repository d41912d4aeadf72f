/** Calls to portsec's analysis API with the session's token, answered for the firewall the console forces, or without one as each port's node runs it. */
import type { DiffRow, ExposureRow, Finding, ReachAnswer, ReachQuery } from '../../src/analysis/answers.js';
import type { NeutronBackend } from '../../src/policy/neutron-backends.js';
import type { ConsoleCloud } from '../../src/api/console-cloud.js';
import type { Fix } from '../../src/analysis/fix/types.js';

/** A finding's fixes, each proven on the snapshot: those offered, and those refused with why. */
export interface ProvenFixes {
  offered: Fix[];
  refused: { fix: Fix; why: string }[];
}
import type { Cloud } from './neutron.js';

/** An API call that did not succeed; 401 means the session is over. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Neutron's NeutronError, Keystone's error, or the bare status. */
function errorMessage(status: number, body: unknown): string {
  const b = body as { NeutronError?: { message?: string }; error?: { message?: string } } | undefined;
  return b?.NeutronError?.message ?? b?.error?.message ?? `HTTP ${status}`;
}

export class Api {
  /** `backend`: forced on every port; undefined: each port's own, as the server found it */
  constructor(readonly token: string, readonly backend?: NeutronBackend) {}

  /** the query's backend parameter, or nothing when each port's own is asked for */
  private backendQuery(sep: '?' | '&'): string {
    return this.backend === undefined ? '' : `${sep}backend=${this.backend}`;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: { 'X-Auth-Token': this.token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ApiError(res.status, errorMessage(res.status, parsed));
    return parsed as T;
  }

  /** The cloud, and the change it is as of (the events' seq). */
  async cloud(): Promise<{ cloud: Cloud; seq: number }> {
    const c = await this.call<ConsoleCloud>('GET', '/analysis/v1/cloud');
    return { cloud: { groups: c.security_groups, rules: c.security_group_rules, ports: c.ports, networks: c.networks }, seq: c.seq };
  }

  async findings(): Promise<Finding[]> {
    return (await this.call<{ findings: Finding[] }>('GET', `/analysis/v1/findings${this.backendQuery('?')}`)).findings;
  }

  /** The finding's proven fixes; undefined where the server proves none (a server without the route answers 404). */
  async fixes(findingId: string): Promise<ProvenFixes | undefined> {
    try {
      return await this.call<ProvenFixes>('GET', `/analysis/v1/findings/${encodeURIComponent(findingId)}/fixes${this.backendQuery('?')}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** One answer, or (no port given) one per service the rules tell apart. */
  async canReach(q: ReachQuery): Promise<ReachAnswer[]> {
    const a = await this.call<ReachAnswer | { services: ReachAnswer[] }>('POST', '/analysis/v1/can-reach', { ...q, backend: this.backend });
    return 'services' in a ? a.services : [a];
  }

  /** Each row's origins by rule, a remote group's members counted; `members`: one origin per member. */
  async exposure(portId?: string, members = false): Promise<ExposureRow[]> {
    const q = [...(portId === undefined ? [] : [`port_id=${encodeURIComponent(portId)}`]), ...(members ? ['members=1'] : [])].map((x, i) => `${i ? '&' : '?'}${x}`).join('');
    return (await this.call<{ exposure: ExposureRow[] }>('GET', `/analysis/v1/exposure${q}${this.backendQuery(q ? '&' : '?')}`)).exposure;
  }

  /** The flow classes whose verdict changes when the cloud moves from one backend to another. */
  async diff(from: NeutronBackend, to: NeutronBackend): Promise<DiffRow[]> {
    return (await this.call<{ rows: DiffRow[] }>('GET', `/analysis/v1/diff?backend=${from}&to_backend=${to}`)).rows;
  }

  /** Server-sent `change` events; EventSource cannot set headers, so the token rides in the query. */
  events(): EventSource {
    return new EventSource(`/analysis/v1/events?token=${encodeURIComponent(this.token)}`);
  }
}
