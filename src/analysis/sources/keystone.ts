/**
 * Logging in: a Keystone v3 token (password or token method, project scope)
 * and Neutron's URL from its service catalog, or no Keystone at all.
 */
import { type CloudConfig } from './cloud-config.js';
import { InputError } from './errors.js';
import { errorText, request } from './http.js';

/** Where Neutron is and what every request to it carries. */
export interface Session {
  /** Neutron's root, without /v2.0 */
  neutron: string;
  headers: Record<string, string>;
}

/**
 * Without Keystone the request carries the identity headers that neutron-server's
 * keystonecontext filter believes when no authtoken filter stands before it (as
 * test/support/neutron-server.ts runs it): an admin. A stock noauth pipeline ignores
 * them (every call is the admin there), and behind Keystone's authtoken they are
 * replaced, so they grant nothing.
 */
const NO_AUTH_HEADERS = { 'X-User-Id': 'portsec', 'X-Roles': 'admin' };

interface CatalogEndpoint {
  interface?: string;
  region_id?: string;
  region?: string;
  url?: string;
}

function neutronRoot(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v2\.0$/, '');
}

function identityBody(c: CloudConfig): unknown {
  const identity = c.authType === 'token'
    ? { methods: ['token'], token: { id: c.token } }
    : { methods: ['password'], password: { user: { ...c.user, password: c.password } } };
  return { auth: { identity, ...(c.project ? { scope: { project: c.project } } : {}) } };
}

function who(c: CloudConfig): string {
  if (c.authType === 'token') return 'the token';
  const user = c.user && ('name' in c.user ? c.user.name : c.user.id);
  const project = c.project && ('name' in c.project ? c.project.name : c.project.id);
  return `the password of user ${user}${project ? ` in project ${project}` : ''}`;
}

/** The catalog's network endpoint for the interface (and region, when one is named). */
function networkEndpoint(c: CloudConfig, catalog: unknown): string {
  const services = Array.isArray(catalog) ? catalog as { type?: string; endpoints?: CatalogEndpoint[] }[] : [];
  const offered = services.filter((s) => s.type === 'network').flatMap((s) => s.endpoints ?? []);
  const region = (e: CatalogEndpoint) => e.region_id ?? e.region ?? '';
  const fits = offered.filter((e) => e.interface === c.interface && (!c.region || region(e) === c.region) && e.url);
  const wanted = `interface ${c.interface}${c.region ? `, region ${c.region}` : ''}`;
  if (!fits.length) {
    const has = offered.map((e) => `${e.interface} ${region(e)}`.trim()).join(', ');
    const scope = c.project ? '' : ' (the token is not scoped to a project: give --os-project-name or --os-project-id)';
    throw new InputError(`${c.label}: the service catalog has no network endpoint for ${wanted}${has ? ` (it has ${has})` : scope}`);
  }
  const regions = [...new Set(fits.map(region))];
  if (regions.length > 1) throw new InputError(`${c.label}: several regions offer the network service (${regions.join(', ')}): name one with --os-region-name`);
  return fits[0].url!;
}

export async function connect(c: CloudConfig): Promise<Session> {
  if (c.authType === 'none') return { neutron: neutronRoot(c.endpoint!), headers: NO_AUTH_HEADERS };
  if (!c.authUrl) return { neutron: neutronRoot(c.endpoint!), headers: { 'X-Auth-Token': c.token! } };
  const url = `${c.authUrl}/auth/tokens`;
  const answer = await request('POST', url, {}, c.timeoutMs, identityBody(c));
  if (answer.status === 401) throw new InputError(`${c.label}: Keystone at ${c.authUrl} refused ${who(c)} (${errorText(answer)})`);
  if (answer.status !== 201 && answer.status !== 200) {
    const hint = answer.status === 404 ? `: is ${c.authUrl} Keystone v3?` : '';
    throw new InputError(`${c.label}: POST ${url} answered ${errorText(answer)}${hint}`);
  }
  const token = answer.headers.get('x-subject-token');
  if (!token) throw new InputError(`${c.label}: POST ${url} answered ${answer.status} without an X-Subject-Token header: is ${c.authUrl} Keystone v3?`);
  const catalog = (answer.body as { token?: { catalog?: unknown } } | undefined)?.token?.catalog;
  return { neutron: neutronRoot(c.endpoint ?? networkEndpoint(c, catalog)), headers: { 'X-Auth-Token': token } };
}
