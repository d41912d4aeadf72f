/** `portsec serve`: the API server on the embedded database. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { InputError } from '../analysis/sources/errors.js';
import { AUTH_MODES, type AuthMode } from '../api/auth.js';
import { DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { GUARD_MODES, type GuardMode, type GuardOptions } from '../api/guard.js';
import { Accounts } from '../api/identity.js';
import { buildServer, DEFAULT_BODY_LIMIT } from '../api/server.js';
import { BACKENDS, DEFAULT_BACKEND } from '../backends/index.js';
import { AgentPool } from '../dataplane/agents.js';
import { type IptablesBackend } from '../dataplane/iptables/tools.js';
import { dataPlane } from '../dataplane/planes.js';
import { NeutronClient } from '../lab/client.js';
import { createExample, EXAMPLES, type ExampleName } from '../lab/example.js';
import { MAX_LIMIT, parseQuotaSetting, QUOTA_DEFAULTS, QUOTA_RESOURCES, type QuotaResource } from '../model/quota.js';
import { type CompileOptions } from '../policy/topology.js';
import { openStore } from '../store/open.js';
import { addExpansionOption, expansionOverrides, parsePrefixLengths } from './expansion-option.js';
import { followStore } from './follow.js';

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:9696');
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

/** wide-pair-in-remote-group=MODE[:LEN[,LEN6]] (without LEN6, IPv6 keeps the default: wider than the port's subnet) */
export function parseGuard(text: string): GuardOptions {
  const m = /^wide-pair-in-remote-group=(\w+)(?::(.*))?$/.exec(text);
  if (!m || !GUARD_MODES.includes(m[1] as GuardMode)) throw new InvalidArgumentError(`expected wide-pair-in-remote-group=${GUARD_MODES.join('|')}[:LEN[,LEN6]]`);
  return { mode: m[1] as GuardMode, limits: m[2] === undefined ? undefined : widePrefixLengths(m[2]) };
}

/** LEN[,LEN6] as a threshold; a family without a length keeps the audit's default. */
function widePrefixLengths(v: string): GuardOptions['limits'] {
  const given = parsePrefixLengths(v);
  return v.includes(',') ? given : { ...DEFAULT_AUDIT_OPTIONS.widePair, IPv4: given.IPv4 };
}

function parsePublicUrl(v: string): string {
  const ok = URL.canParse(v) && /^https?:$/.test(new URL(v).protocol);
  if (!ok) throw new InvalidArgumentError('expected an http(s) URL, e.g. https://network.example.org');
  return v;
}

/**
 * An example goes into a new database only: mixed into a real cloud, its groups and its 0.0.0.0/0
 * pair would be a pitfall of their own.
 */
function assertNewDatabase(db: string): void {
  if (existsSync(db) && statSync(db).size > 0) {
    throw new InputError(`--example creates its cloud in a new database only: ${db} exists and is not empty (give --db NEW.db)`);
  }
}

/** The example's cloud, created through this server's own API as its admin; on failure the new database goes again. */
async function serveExample(name: ExampleName, address: string, adminPassword: string | undefined, db: string, close: () => Promise<void>): Promise<string> {
  try {
    const s = await createExample(name, await NeutronClient.connect(address, adminPassword));
    return `example ${name}: ${s.networks} networks, ${s.groups} groups, ${s.ports} ports (${s.labs.map((l) => `labs/${l}.yaml`).join(', ')})`;
  } catch (e) {
    await close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
    throw new Error(`--example ${name}: ${(e as Error).message}`);
  }
}

function quotaSetting(v: string, all: [QuotaResource, number][]): [QuotaResource, number][] {
  const setting = parseQuotaSetting(v);
  if (!setting) throw new InvalidArgumentError(`expected RESOURCE=N, RESOURCE one of ${QUOTA_RESOURCES.join(', ')}, N from -1 (unlimited) to ${MAX_LIMIT}`);
  return [...all, setting];
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} takes a positive integer`);
  return n;
}

export function serveCommand(program: Command): void {
  addExpansionOption(program.command('serve'))
    .description('serve the Neutron v2.0 API at / and Keystone v3 at /identity/v3 (and /v3) on one port')
    .option('--listen <host:port>', 'address to listen on', parseListen, { host: '127.0.0.1', port: 9696 })
    .option('--db <file>', 'SQLite database file (created if missing)', 'portsec.db')
    .addOption(new Option('--auth <mode>', 'keystone: tokens from /identity/v3; trusted-headers: X-User-Id/X-Project-Id/X-Roles; none: every call is admin')
      .choices(AUTH_MODES).default('keystone'))
    .option('--accounts <file>', 'users and projects, in the shape of tempest\'s accounts.yaml (username, password, project_name, roles)')
    .option('--admin-password <pw>', 'password of the built-in user "admin" (project "admin", role admin)')
    .option('--token-ttl <seconds>', 'token lifetime', (v) => Number(v), 3600)
    .option('--allocation-seed <n>', 'seed the random choice of MACs and fixed IPs (reproducible labs and tests)', (v) => Number(v))
    .addOption(new Option('--agents <on|off|model>', 'enforce the policy in-process: one agent per compute node (namespace ps-cn-HOST), as `portsec agent` (needs root); model: the same agents with each node\'s state in memory, no namespace (what they enforce, without root)')
      .choices(['on', 'off', 'model']).default(process.getuid?.() === 0 ? 'on' : 'off'))
    .addOption(new Option('--agent-state <state>', 'what the agents keep between changes: ideal, a fresh sync of the node; neutron-21, what Neutron 21\'s agent keeps (a removed pair stays in remote groups until their members are refreshed), to reproduce a real cloud')
      .choices([...BACKENDS[DEFAULT_BACKEND].agentStates]).default('ideal'))
    .addOption(new Option('--backend <backend>', 'iptables backend of the compute nodes').choices(['nft', 'legacy']).default('nft'))
    .option('--guard <check=mode[:len[,len6]]>', `wide-pair-in-remote-group=reject|warn|off[:LEN[,LEN6]]: refuse (409) or warn on writes that would make a group that rules name as remote group stand for a wide block through its members' allowed-address pairs, taken together: by default wider than the subnet of a port holding them (as audit judges), with LEN of prefix length LEN or shorter`, parseGuard, { mode: 'off' } as GuardOptions)
    .option('--public-url <url>', 'the URL clients reach this server at, for links and the Keystone catalog (default: each request\'s Host)', parsePublicUrl)
    .option('--max-body-bytes <n>', 'largest request body accepted (413 beyond)', (v) => positive(v, '--max-body-bytes'), DEFAULT_BODY_LIMIT)
    .option('--quota <resource=n>', `a project's quota until an admin sets its own, as neutron.conf [quotas] quota_RESOURCE (repeatable; -1: unlimited; default ${Object.entries(QUOTA_DEFAULTS).map(([r, n]) => `${r}=${n}`).join(' ')})`,
      quotaSetting, [] as [QuotaResource, number][])
    .option('--log', 'log every request (JSON, to stdout; tokens in URLs redacted)')
    .addOption(new Option('--example <name>', `create an example cloud in a new database (--db must not exist or be empty), with the admin's password printed unless --admin-password gives it: ${Object.entries(EXAMPLES).map(([n, labs]) => `${n} = ${labs.map((l) => `labs/${l}.yaml`).join(' + ')}`).join('; ')}`)
      .choices(Object.keys(EXAMPLES)))
    .action(async (o: { example?: ExampleName; guard: GuardOptions; listen: { host: string; port: number }; db: string; auth: AuthMode; accounts?: string; adminPassword?: string; tokenTtl: number; allocationSeed?: number; log?: boolean; agents: 'on' | 'off' | 'model'; agentState: string; backend: IptablesBackend; omitWidePairs?: CompileOptions['omitWidePairs']; publicUrl?: string; maxBodyBytes: number; quota: [QuotaResource, number][] }) => {
      if (o.example) assertNewDatabase(o.db);
      const adminPassword = o.adminPassword ?? (o.example && randomBytes(12).toString('base64url'));
      const accounts = new Accounts(o.accounts, adminPassword);
      if (o.auth === 'keystone' && accounts.list().length === 0) {
        throw new InvalidArgumentError('--auth keystone needs --accounts FILE or --admin-password PW (no user could log in)');
      }
      const store = openStore(o.db);
      const compile = expansionOverrides(o);
      const log = (m: string) => process.stdout.write(`${m}\n`);
      const pool = o.agents === 'off' ? undefined
        : new AgentPool(store, dataPlane(DEFAULT_BACKEND, { nodes: o.agents === 'model' ? 'model' : o.backend, agentState: o.agentState }), log, compile);
      const app = buildServer({
        store, auth: o.auth, accounts, tokenTtlSeconds: o.tokenTtl, logger: o.log ?? false, allocationSeed: o.allocationSeed, guard: o.guard, compile,
        publicUrl: o.publicUrl, bodyLimit: o.maxBodyBytes, agents: pool && (() => pool.views()),
        quotaDefaults: { ...QUOTA_DEFAULTS, ...Object.fromEntries(o.quota) },
      });
      const address = await app.listen({ host: o.listen.host, port: o.listen.port });
      const example = o.example && await serveExample(o.example, address, o.auth === 'keystone' ? adminPassword : undefined, o.db,
        async () => { await app.close(); await store.close(); });
      process.stdout.write(`portsec serving Neutron at ${address}/ and Keystone at ${address}/identity/v3 (auth ${o.auth}, db ${o.db})\n`);
      if (example) process.stdout.write(`${example}\n`);
      const login = o.auth !== 'keystone' ? '' : o.adminPassword !== undefined ? ' (log in as admin with the --admin-password)'
        : adminPassword !== undefined ? ` (log in as admin, password ${adminPassword})` : '';
      process.stdout.write(`console: ${o.publicUrl ?? address}/ui${login}\n`);
      const stopTicks = pool && followStore(store, () => pool.tick(), (e) => log(`agents: ${(e as Error).message}`));
      const stop = () => {
        void (stopTicks?.() ?? Promise.resolve()).then(() => app.close()).then(() => store.close()).then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
