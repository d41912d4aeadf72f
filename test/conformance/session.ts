/**
 * One run of the conformance scenario against one server: the calls as they were
 * made, the names the scenario gave what the server made, and the transcript they
 * normalise into.
 */
import { type Json, Normaliser, settled, sorted } from './normalise.js';

/** Trusted headers: who calls (both neutron-server's keystonecontext and `portsec serve --auth trusted-headers` believe them). */
export const IDENTITIES = {
  admin: { user: 'admin-user', project: 'admin-project', roles: 'admin' },
  a: { user: 'user-a', project: 'proj-a', roles: 'member' },
  b: { user: 'user-b', project: 'proj-b', roles: 'member' },
  // the project nothing is shared with (rbac.ts)
  c: { user: 'user-c', project: 'proj-c', roles: 'member' },
} as const;
export type Who = keyof typeof IDENTITIES | 'anon';

export interface Call {
  n: number;
  step: string;
  who: Who;
  request: { method: string; path: string; body?: Json; headers?: Record<string, string> };
  status: number;
  response: Json;
}

export interface Transcript {
  meta: { server: string; calls: number };
  calls: Call[];
}

export interface Options {
  body?: Json;
  who?: Who;
  headers?: Record<string, string>;
}

/** Stands in for an id the server never gave (its create failed): the call is still made, and differs. */
export const MISSING = '00000000-0000-0000-0000-00000000dead';

export class Session {
  private readonly made: Call[] = [];
  private readonly saved = new Map<string, string>();
  private readonly norm: Normaliser;

  constructor(readonly url: string) {
    this.norm = new Normaliser(url);
  }

  async call(step: string, method: string, path: string, o: Options = {}): Promise<{ status: number; body: any }> {
    const who = o.who ?? 'a';
    const headers: Record<string, string> = { Accept: 'application/json', ...o.headers };
    if (who !== 'anon') {
      const id = IDENTITIES[who];
      Object.assign(headers, { 'X-User-Id': id.user, 'X-Project-Id': id.project, 'X-Roles': id.roles });
    }
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    let body: Json;
    try { body = text ? JSON.parse(text) : null; } catch { body = text; }
    const request: Call['request'] = { method, path };
    if (o.body !== undefined) request.body = o.body;
    if (o.headers) request.headers = o.headers;
    this.made.push({ n: this.made.length + 1, step, who, request, status: res.status, response: body });
    return { status: res.status, body };
  }

  /** Saves the id of what a call made under a name (ids of failed creates stay unsaved). */
  save(name: string, id: unknown): void {
    if (typeof id !== 'string') return;
    this.saved.set(name, id);
    this.norm.id(id, name);
  }

  /** How many calls were made so far. */
  get calls(): number {
    return this.made.length;
  }

  id(name: string): string {
    return this.saved.get(name) ?? MISSING;
  }

  /** A port the scenario made: what the server chose for it (MAC, addresses) is named after it. */
  savePort(name: string, port: any, requested: { mac_address?: string; fixed_ips?: { ip_address?: string }[] }): void {
    if (!port) return;
    this.save(name, port.id);
    if (!requested.mac_address && port.mac_address) this.norm.mac(port.mac_address, `${name}.mac`);
    const asked = new Set((requested.fixed_ips ?? []).map((f) => f.ip_address));
    for (const { ip_address: ip } of port.fixed_ips ?? []) {
      if (!asked.has(ip)) this.norm.ip(ip, `${name}.ip${ip.includes(':') ? 6 : 4}`);
    }
  }

  transcript(server: string): Transcript {
    this.norm.nameImplicit(this.made.map((c) => c.response));
    const calls = this.made.map((c) => {
      const call = this.norm.json(c as unknown as Json) as unknown as Call;
      return { ...call, response: settled(call.response, sorted(call.request.path)) };
    });
    return { meta: { server, calls: calls.length }, calls };
  }
}
