/**
 * One JSON request to a cloud with Node's fetch, every way it can fail turned
 * into a one-line InputError: no answer (refused, unknown host, TLS, timeout),
 * or an answer that is not JSON. HTTP error statuses are returned, since what
 * they mean depends on who asked (Keystone or Neutron).
 */
import { InputError } from './errors.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Server-provided text (HTML pages included) shortened for a one-line message. */
export function excerpt(text: string, max = 160): string {
  const flat = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

const CAUSES: Record<string, (host: string) => string> = {
  ECONNREFUSED: () => 'connection refused',
  ENOTFOUND: (host) => `host ${host} not found (DNS)`,
  EAI_AGAIN: (host) => `host ${host} could not be resolved (DNS lookup failed)`,
  ECONNRESET: () => 'connection reset',
  EHOSTUNREACH: () => 'host unreachable',
  ENETUNREACH: () => 'network unreachable',
  ETIMEDOUT: () => 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: () => 'connection timed out',
  UND_ERR_SOCKET: () => 'connection closed',
  EPROTO: () => 'TLS handshake failed (is it an https URL on an http port?)',
};

/** Why fetch threw, in words; certificate problems keep their code and say how to trust a private CA. */
function why(e: unknown, url: URL, timeoutMs: number): string {
  if (e instanceof DOMException && e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (CAUSES[code]) return CAUSES[code](url.hostname);
  if (/CERT|SSL|TLS|SIGNATURE/.test(code)) return `TLS certificate not accepted (${code}); set NODE_EXTRA_CA_CERTS to trust a private CA`;
  return cause?.message ?? (e as Error).message;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export async function request(method: Method, url: string, headers: Record<string, string>, timeoutMs: number, body?: unknown): Promise<Answer> {
  const target = new URL(url);
  let res: Response;
  let text: string;
  try {
    res = await fetch(target, {
      method,
      headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
    });
    text = await res.text();
  } catch (e) {
    throw new InputError(`cannot reach ${target.origin}: ${why(e, target, timeoutMs)} (${method} ${target.origin}${target.pathname})`);
  }
  if (!text) return { status: res.status, headers: res.headers, body: undefined };
  try {
    return { status: res.status, headers: res.headers, body: JSON.parse(text) };
  } catch {
    if (res.ok) {
      throw new InputError(`${method} ${target.href} answered ${res.status} with ${res.headers.get('content-type') ?? 'no content type'}, not JSON: ${excerpt(text)}`);
    }
    // an error page (a proxy's, or webob's 401) says what it says in text
    return { status: res.status, headers: res.headers, body: excerpt(text) };
  }
}

/** The message of an error answer, whichever component wrote it (Neutron, Keystone, webob, a proxy). */
export function errorText(a: Answer): string {
  const b = a.body as Record<string, any> | string | undefined;
  const message = typeof b === 'string' ? b
    : b?.NeutronError?.message ?? b?.error?.message ?? b?.message ?? b?.title ?? '';
  return `${a.status}${message ? `: ${excerpt(String(message))}` : ''}`;
}
