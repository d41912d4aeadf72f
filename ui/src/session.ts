/**
 * Login against the built-in Keystone, or the token `portsec console` put in the
 * URL it printed; the token lives in sessionStorage (this browser tab only).
 */

export interface Session {
  token: string;
  user: string;
  project: string;
  isAdmin: boolean;
  expiresAt: string;
  /** `portsec console`: one snapshot, read-only, no login (what it was read from in `project`) */
  readOnly?: boolean;
}

const KEY = 'portsec.session';

/** The session of a URL `portsec console` printed (#token=…&source=…), taken out of the address bar. */
function consoleSession(): Session | undefined {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (!token) return undefined;
  history.replaceState(null, '', location.pathname + location.search);
  // the console server's token lasts as long as the server
  const session: Session = { token, user: 'read-only', project: params.get('source') ?? 'a snapshot', isAdmin: true, readOnly: true, expiresAt: '9999-12-31T00:00:00Z' };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function savedSession(): Session | undefined {
  const fromUrl = consoleSession();
  if (fromUrl) return fromUrl;
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  const s = JSON.parse(raw) as Session;
  return Date.parse(s.expiresAt) > Date.now() ? s : undefined;
}

export function forgetSession(): void {
  sessionStorage.removeItem(KEY);
}

export class LoginError extends Error {}

/** Password authentication; without a project Keystone scopes the token to the user's own (each user has one here). */
export async function login(user: string, password: string, project?: string): Promise<Session> {
  const res = await fetch('/v3/auth/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
      },
    }),
  });
  if (res.status === 401) throw new LoginError('Wrong user name, password or project.');
  if (!res.ok) throw new LoginError(`Keystone answered ${res.status}.`);
  const token = res.headers.get('X-Subject-Token');
  const body = (await res.json()) as { token: { expires_at: string; roles: { name: string }[]; user: { name: string }; project: { name: string } } };
  if (!token) throw new LoginError('Keystone sent no X-Subject-Token.');
  const session: Session = {
    token,
    user: body.token.user.name,
    project: body.token.project.name,
    isAdmin: body.token.roles.some((r) => r.name === 'admin'),
    expiresAt: body.token.expires_at,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}
