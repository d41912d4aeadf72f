/**
 * Who is calling a Neutron URL, per auth mode: a Keystone token issued here,
 * trusted X-User-Id/X-Project-Id/X-Roles headers (neutron-server's keystone
 * context without token checks), or nobody at all (every call is the admin).
 */
import { type IncomingHttpHeaders } from 'node:http';
import { type Context } from '../model/schema.js';
import { type TokenStore } from './identity.js';

export type AuthMode = 'keystone' | 'trusted-headers' | 'none';

export const AUTH_MODES: AuthMode[] = ['keystone', 'trusted-headers', 'none'];

/** A 401 whose body is whatever the real component in front of Neutron answers. */
export class Unauthorized extends Error {
  constructor(readonly body: unknown) {
    super('unauthorized');
  }
}

const WEBOB_401 = {
  message: 'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.<br /><br />\n\n\n',
  code: '401 Unauthorized',
  title: 'Unauthorized',
};

export const KEYSTONE_401 = {
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
};

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export const NOAUTH_CONTEXT: Context = { userId: 'admin', projectId: 'admin', roles: ['admin'], isAdmin: true };

export async function authenticate(mode: AuthMode, headers: IncomingHttpHeaders, tokens: TokenStore): Promise<Context> {
  if (mode === 'none') return NOAUTH_CONTEXT;
  if (mode === 'trusted-headers') {
    const userId = header(headers, 'x-user-id');
    if (!userId) throw new Unauthorized(WEBOB_401);
    const roles = (header(headers, 'x-roles') ?? '').split(',').map((r) => r.trim()).filter(Boolean);
    const projectId = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id') ?? '';
    return { userId, projectId, roles, isAdmin: roles.includes('admin') };
  }
  const token = header(headers, 'x-auth-token');
  const found = token ? await tokens.check(token) : undefined;
  if (!found) throw new Unauthorized(KEYSTONE_401);
  const { userId, projectId, roles, isAdmin } = found.principal;
  return { userId, projectId, roles, isAdmin };
}
