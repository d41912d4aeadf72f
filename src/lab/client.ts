/** A small Neutron client for the lab: the admin over Keystone (or trusted headers), Neutron's errors surfaced as they are. */
import { QUOTA_RESOURCES, UNLIMITED } from '../model/quota.js';

export class NeutronClient {
  private constructor(private readonly url: string, private readonly headers: Record<string, string>) {}

  static async connect(url: string, adminPassword?: string): Promise<NeutronClient> {
    if (adminPassword === undefined) {
      return new NeutronClient(url, { 'X-User-Id': 'admin', 'X-Project-Id': 'admin', 'X-Roles': 'admin' });
    }
    const res = await fetch(`${url}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: adminPassword, domain: { name: 'Default' } } } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } }),
    });
    if (res.status !== 201) throw new Error(`${url}: admin login failed (${res.status})`);
    return new NeutronClient(url, { 'X-Auth-Token': res.headers.get('x-subject-token')! });
  }

  async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.url}/v2.0/${path}`, {
      method, headers: { ...this.headers, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new Error(`${method} /v2.0/${path}: ${res.status} ${data?.NeutronError?.message ?? text}`);
    return data;
  }

  /** The ids of the resources of one collection with this name. */
  async idsByName(collection: string, name: string): Promise<string[]> {
    const key = collection.replace(/-/g, '_');
    return (await this.call('GET', `${collection}?name=${encodeURIComponent(name)}&fields=id`))[key].map((r: { id: string }) => r.id);
  }
}

/** A call on /v2.0/PATH, answering the body (NeutronClient.call's shape). */
export type NeutronCall = (method: string, path: string, body?: unknown) => Promise<any>;

/** Lifts the caller's own project's quotas (-1: unlimited): an admin's, for a cloud bigger than Neutron's defaults, as an operator would. */
export async function liftQuotas(call: NeutronCall): Promise<void> {
  const project = (await call('GET', 'quotas/project')).project.project_id as string;
  await call('PUT', `quotas/${project}`, { quota: Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, UNLIMITED])) });
}
