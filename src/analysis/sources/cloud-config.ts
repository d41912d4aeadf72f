/**
 * Which cloud to read and how to log in, as the OpenStack clients decide it:
 * a cloud of clouds.yaml (with secure.yaml merged in), overridden by explicit
 * options (the CLI fills those from --os-* flags and OS_* variables, as
 * python-openstackclient does). Everything wrong with it is an InputError
 * before any request is sent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from './errors.js';
import { checked } from './schema.js';

/** What a caller may say about the cloud; every field overrides the clouds.yaml entry's. */
export interface CloudOptions {
  /** a cloud of clouds.yaml (OS_CLOUD) */
  cloud?: string;
  authUrl?: string;
  /** password (v3password), token (v3token), or none (noauth: no Keystone, `endpoint` is Neutron) */
  authType?: string;
  username?: string;
  userId?: string;
  password?: string;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  projectDomainName?: string;
  token?: string;
  regionName?: string;
  /** the catalog interface: public (default), internal or admin */
  interface?: string;
  /** Neutron's URL, in place of the catalog's */
  endpoint?: string;
  timeoutSeconds?: number;
}

export type AuthType = 'password' | 'token' | 'none';

type Named = { name: string; domain: { name: string } | { id: string } } | { id: string };

export interface CloudConfig {
  /** how messages name the cloud */
  label: string;
  authType: AuthType;
  /** Keystone v3, ending in /v3 */
  authUrl?: string;
  user?: Named;
  password?: string;
  token?: string;
  project?: Named;
  region?: string;
  interface: 'public' | 'internal' | 'admin';
  endpoint?: string;
  timeoutMs: number;
}

const AUTH_TYPES: Record<string, AuthType> = {
  password: 'password', v3password: 'password', token: 'token', v3token: 'token', none: 'none', noauth: 'none',
};

/** clouds.yaml, secure.yaml: the openstacksdk search order (OS_CLIENT_CONFIG_FILE first). */
export function configFiles(name: 'clouds' | 'secure', env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = name === 'clouds' && env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : [];
  const dirs = [process.cwd(), join(homedir(), '.config', 'openstack'), '/etc/openstack'];
  return [...explicit, ...dirs.flatMap((d) => [join(d, `${name}.yaml`), join(d, `${name}.yml`)])];
}

const scalar = z.union([z.string(), z.number()]).transform(String).optional();
const AUTH_KEYS = [
  'auth_url', 'username', 'user_id', 'password', 'project_name', 'project_id', 'tenant_name', 'tenant_id', 'user_domain_name',
  'user_domain_id', 'project_domain_name', 'project_domain_id', 'domain_name', 'domain_id', 'token', 'endpoint',
] as const;
const cloudEntry = z.object({
  auth: z.object(Object.fromEntries(AUTH_KEYS.map((k) => [k, scalar])) as Record<(typeof AUTH_KEYS)[number], typeof scalar>).default({}),
  auth_type: scalar,
  region_name: scalar,
  interface: scalar,
  endpoint_type: scalar,
  network_endpoint_override: scalar,
  api_timeout: z.number().positive().optional(),
  identity_api_version: scalar,
  profile: scalar,
});
type CloudEntry = z.output<typeof cloudEntry>;

function readYaml(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  return typeof value === 'object' && value !== null ? value as Record<string, unknown> : {};
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || typeof over !== 'object' || over === null) return over ?? base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}

/** The named cloud of the first clouds.yaml found, with its secure.yaml part merged in. */
export function cloudsYamlEntry(name: string, env: NodeJS.ProcessEnv = process.env): CloudEntry {
  const files = configFiles('clouds', env);
  const file = files.find((f) => existsSync(f));
  if (!file) throw new InputError(`cloud ${name}: no clouds.yaml (looked for ${files.join(', ')})`);
  const clouds = (readYaml(file).clouds ?? {}) as Record<string, unknown>;
  if (!(name in clouds)) {
    throw new InputError(`${file}: no cloud named ${name} (it has ${Object.keys(clouds).join(', ') || 'none'})`);
  }
  const secureFile = configFiles('secure', env).find((f) => existsSync(f));
  const secure = secureFile ? ((readYaml(secureFile).clouds ?? {}) as Record<string, unknown>)[name] : undefined;
  const entry = checked(cloudEntry, deepMerge(clouds[name], secure), file, `clouds.${name}`);
  if (entry.profile) throw new InputError(`${file}: cloud ${name} uses profile ${entry.profile} (vendor defaults), which portsec does not read: write its auth_url into clouds.yaml`);
  if (entry.identity_api_version && !entry.identity_api_version.startsWith('3')) {
    throw new InputError(`${file}: cloud ${name}: identity_api_version ${entry.identity_api_version}: portsec speaks Keystone v3 only`);
  }
  return entry;
}

function httpUrl(what: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`${what}: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InputError(`${what}: not an http(s) URL: ${url}`);
  return url.replace(/\/+$/, '');
}

/** Keystone's v3 root: given as http://host:5000, …/v3 or …/identity/v3. */
function keystoneV3(url: string): string {
  return /\/v3$/.test(url) ? url : `${url}/v3`;
}

/** A user or project by id, or by name within a domain (Default unless one is named). */
function named(id: string | undefined, name: string | undefined, domainName: string | undefined, domainId: string | undefined): Named | undefined {
  if (id) return { id };
  if (!name) return undefined;
  return { name, domain: domainId && !domainName ? { id: domainId } : { name: domainName ?? 'Default' } };
}

export function resolveCloud(o: CloudOptions, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const entry: CloudEntry = o.cloud ? cloudsYamlEntry(o.cloud, env) : cloudEntry.parse({});
  const a = entry.auth;
  const authUrl = o.authUrl ?? a.auth_url;
  const endpoint = o.endpoint ?? entry.network_endpoint_override ?? a.endpoint;
  const password = o.password ?? a.password;
  const token = o.token ?? a.token;
  const label = o.cloud ? `cloud ${o.cloud}` : `cloud ${authUrl ?? endpoint ?? '(none)'}`;
  const typeName = o.authType ?? entry.auth_type ?? (token && !password ? 'token' : endpoint && !authUrl && !password ? 'none' : 'password');
  const authType = AUTH_TYPES[typeName];
  if (!authType) throw new InputError(`${label}: auth type ${typeName} is not supported (password, token or none)`);
  const iface = (o.interface ?? entry.interface ?? entry.endpoint_type ?? 'public').replace(/URL$/, '');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') throw new InputError(`${label}: interface ${iface}: expected public, internal or admin`);
  const timeoutSeconds = o.timeoutSeconds ?? entry.api_timeout ?? 30;
  if (!(timeoutSeconds > 0)) throw new InputError(`${label}: timeout ${timeoutSeconds}: expected a number of seconds above 0`);
  const config: CloudConfig = {
    label,
    authType,
    interface: iface,
    region: o.regionName ?? entry.region_name,
    endpoint: endpoint && httpUrl(`${label}: Neutron endpoint`, endpoint),
    timeoutMs: timeoutSeconds * 1000,
  };
  const userDomain = o.userDomainName ?? a.user_domain_name ?? a.domain_name;
  const projectDomain = o.projectDomainName ?? a.project_domain_name ?? a.domain_name;
  const project = named(o.projectId ?? a.project_id ?? a.tenant_id, o.projectName ?? a.project_name ?? a.tenant_name, projectDomain, a.project_domain_id ?? a.domain_id);
  const noAuthUrl = `${label}: no auth URL: give --os-auth-url (OS_AUTH_URL), or a cloud of clouds.yaml with --os-cloud (OS_CLOUD)`;
  if (authType === 'none') {
    if (!config.endpoint) throw new InputError(`${label}: auth type none talks to Neutron without Keystone: give its URL with --os-endpoint`);
    return config;
  }
  if (authType === 'token') {
    if (!token) throw new InputError(`${label}: auth type token needs a token: --os-token (OS_TOKEN)`);
    // a token with Neutron's URL and no Keystone is used as it is
    if (!authUrl && !config.endpoint) throw new InputError(noAuthUrl);
    return { ...config, token, project, authUrl: authUrl && keystoneV3(httpUrl(`${label}: auth URL`, authUrl)) };
  }
  if (!authUrl) throw new InputError(noAuthUrl);
  const user = named(o.userId ?? a.user_id, o.username ?? a.username, userDomain, a.user_domain_id ?? a.domain_id);
  if (!user) throw new InputError(`${label}: no user: give --os-username (OS_USERNAME)`);
  if (password === undefined) throw new InputError(`${label}: no password: give --os-password (OS_PASSWORD)`);
  return { ...config, user, password, project, authUrl: keystoneV3(httpUrl(`${label}: auth URL`, authUrl)) };
}
