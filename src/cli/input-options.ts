/**
 * The analyzer's input options, shared by every command that reads a cloud
 * (snapshot, audit, can-reach, exposure): this server's database, JSON dumps
 * of Neutron's answers, or a live cloud through clouds.yaml, --os-* flags and
 * OS_* variables (a variable is a flag's default, as in the openstack client).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { InputError } from '../analysis/sources/errors.js';
import { fromFiles } from '../analysis/sources/files.js';
import { DEFAULT_PAGE_SIZE, fromCloud, type ImportOptions } from '../analysis/sources/openstack.js';
import { NO_PROGRESS, progressOn } from '../analysis/sources/progress.js';
import { readDatabase } from '../analysis/sources/store.js';
import { type Snapshot } from '../analysis/snapshot.js';

const DEFAULT_DB = 'portsec.db';

export interface InputOptions {
  db?: string;
  asProject?: string;
  files?: string[];
  osCloud?: string;
  osAuthUrl?: string;
  osAuthType?: string;
  osUsername?: string;
  osUserId?: string;
  osPassword?: string;
  osProjectName?: string;
  osProjectId?: string;
  osUserDomainName?: string;
  osProjectDomainName?: string;
  osToken?: string;
  osRegionName?: string;
  osInterface?: string;
  osEndpoint?: string;
  apiTimeout?: number;
  pageSize?: number;
  progress?: boolean;
}

/** The --os-* flags: [flag, the variable that stands in for it, help]. */
const CLOUD_FLAGS: [string, string, string][] = [
  ['--os-cloud <name>', 'OS_CLOUD', 'a cloud of clouds.yaml (./, ~/.config/openstack/, /etc/openstack/; secure.yaml merged in)'],
  ['--os-auth-url <url>', 'OS_AUTH_URL', 'Keystone v3 (http://host:5000, …/v3 or …/identity/v3)'],
  ['--os-auth-type <type>', 'OS_AUTH_TYPE', 'password, token, or none (no Keystone: --os-endpoint is Neutron, called as admin)'],
  ['--os-username <name>', 'OS_USERNAME', 'user name'],
  ['--os-user-id <id>', 'OS_USER_ID', 'user, by id'],
  ['--os-password <password>', 'OS_PASSWORD', 'password'],
  ['--os-project-name <name>', 'OS_PROJECT_NAME', 'project to scope to'],
  ['--os-project-id <id>', 'OS_PROJECT_ID', 'project to scope to, by id'],
  ['--os-user-domain-name <name>', 'OS_USER_DOMAIN_NAME', 'the user\'s domain (default: Default)'],
  ['--os-project-domain-name <name>', 'OS_PROJECT_DOMAIN_NAME', 'the project\'s domain (default: Default)'],
  ['--os-token <token>', 'OS_TOKEN', 'a Keystone token, in place of a password'],
  ['--os-region-name <region>', 'OS_REGION_NAME', 'the catalog region of the network service'],
  ['--os-interface <interface>', 'OS_INTERFACE', 'the catalog interface: public (default), internal or admin'],
  ['--os-endpoint <url>', 'OS_ENDPOINT', 'Neutron\'s URL, in place of the catalog\'s'],
];
type CloudKey = Extract<keyof InputOptions, `os${string}`>;
/** each flag's option key (--os-auth-url: osAuthUrl) with its variable */
const CLOUD_KEYS = CLOUD_FLAGS.map(([flag, variable]) => ({
  key: flag.split(' ')[0].slice(2).replace(/-(.)/g, (_, c: string) => c.toUpperCase()) as CloudKey,
  flag: flag.split(' ')[0],
  variable,
}));

function positive(what: string, integer: boolean) {
  return (text: string): number => {
    const n = Number(text);
    if (!(n > 0) || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`expected ${integer ? 'a whole number' : 'a number'} of ${what} above 0`);
    return n;
  };
}

/** Adds the input options to a command. */
export function addInputOptions(cmd: Command): Command {
  cmd.option('--db <file>', `read the database of \`portsec serve\` (default ${DEFAULT_DB}, the input when no other is named)`)
    .option('--as-project <project>', 'with --db: only what members of this project (id, or name of a Keystone account\'s project) see through the API (default: everything, as an admin)')
    // one path per occurrence (and comma lists), so it never takes the command's own arguments after it
    .option('--files <path>', 'read JSON files holding the answers of GET /v2.0/networks, subnets, ports, security-groups, security-group-rules '
      + '(one body per file, or a combined file as `portsec snapshot` writes, or a directory of ports.json, security_groups.json, …; '
      + '- reads a combined file from standard input); repeat it, or separate paths with commas', (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)]);
  for (const [flag, variable, help] of CLOUD_FLAGS) cmd.option(flag, `${help} (${variable})`);
  return cmd
    .option('--api-timeout <seconds>', 'how long to wait for each answer of a cloud (default 30, or clouds.yaml\'s api_timeout)', positive('seconds', false))
    .option('--page-size <n>', `objects per Neutron list request (default ${DEFAULT_PAGE_SIZE})`, positive('objects', true))
    .option('--progress', 'show objects read per resource on stderr even when it is not a terminal');
}

type Input = 'db' | 'files' | 'cloud';

/**
 * Which input the options name: --db, --files or --os-* flags (one kind only),
 * else a cloud when OS_CLOUD, OS_AUTH_URL or OS_ENDPOINT is set, else the database.
 */
function chosenInput(o: InputOptions, env: NodeJS.ProcessEnv): Input {
  const named: [Input, string][] = [];
  if (o.db !== undefined) named.push(['db', '--db']);
  if (o.files !== undefined) named.push(['files', '--files']);
  const cloudFlag = CLOUD_KEYS.find(({ key }) => o[key] !== undefined);
  if (cloudFlag) named.push(['cloud', cloudFlag.flag]);
  if (named.length > 1) throw new InputError(`name one input, not ${named.map(([, flag]) => flag).join(' and ')}`);
  const input = named[0]?.[0] ?? (env.OS_CLOUD || env.OS_AUTH_URL || env.OS_ENDPOINT ? 'cloud' : 'db');
  if (o.asProject !== undefined && input !== 'db') throw new InputError('--as-project reads the database: it goes with --db (a cloud shows what your credentials may see)');
  return input;
}

/** The live cloud the options name (an OS_* variable standing in for its flag), or undefined when they name the database or files. */
export function cloudInput(cmd: Command, env: NodeJS.ProcessEnv = process.env): ImportOptions | undefined {
  const o = cmd.opts<InputOptions>();
  if (chosenInput(o, env) !== 'cloud') return undefined;
  const value = (key: CloudKey) => o[key] ?? env[CLOUD_KEYS.find((k) => k.key === key)!.variable];
  return {
    cloud: value('osCloud'),
    authUrl: value('osAuthUrl'),
    authType: value('osAuthType'),
    username: value('osUsername'),
    userId: value('osUserId'),
    password: value('osPassword'),
    projectName: value('osProjectName'),
    projectId: value('osProjectId'),
    userDomainName: value('osUserDomainName'),
    projectDomainName: value('osProjectDomainName'),
    token: value('osToken'),
    regionName: value('osRegionName'),
    interface: value('osInterface'),
    endpoint: value('osEndpoint'),
    timeoutSeconds: o.apiTimeout,
    pageSize: o.pageSize,
  };
}

/** Objects read per resource on stderr, for people watching (or when asked). */
export const readProgress = (cmd: Command) => (cmd.opts<InputOptions>().progress || process.stderr.isTTY ? progressOn(process.stderr, 'reading the cloud') : NO_PROGRESS);

/**
 * The snapshot a command's parsed options name (`cmd` is the action's last
 * argument); an OS_* variable stands in for its flag, as in the openstack client.
 * Dump files are checked whole, unless `asRead` (a question reading a few of their
 * ports and rules: those are checked as it reads them).
 */
export async function readSnapshot(cmd: Command, env: NodeJS.ProcessEnv = process.env, asRead = false): Promise<Snapshot> {
  const o = cmd.opts<InputOptions>();
  const cloud = cloudInput(cmd, env);
  if (cloud) return fromCloud(cloud, readProgress(cmd));
  if (o.files !== undefined) return fromFiles(o.files, asRead);
  return readDatabase(o.db ?? DEFAULT_DB, o.asProject);
}
