/**
 * The project's own real neutron-server (Debian python3-neutron 21, Zed): ML2 with
 * port_security, SQLite built from the models (alembic cannot migrate SQLite), the
 * in-memory messaging driver, and Neutron's keystone context without token checks,
 * so X-User-Id/X-Project-Id/X-Roles decide who calls (what `as()` sends portsec in
 * trusted-headers mode). Lives in a temp dir on a free loopback port; stopped by the
 * PID it was started with (its session: the server forks an rpc and a periodic worker).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import { SYSTEM_PYTHON } from './server.js';

export interface NeutronServer {
  url: string;
  /** the server's configuration file (its database among it), for a harness that calls Neutron's own code beside it */
  config: string;
  stop(): Promise<void>;
}

/** `tags`: Neutron's tag service plugin and ML2's tag-on-port-create driver (standard-attr-tag, tag-ports-during-bulk-creation) */
export interface NeutronServerOptions { tags?: boolean }

const conf = (dir: string, port: number, o: NeutronServerOptions) => `[DEFAULT]
bind_host = 127.0.0.1
bind_port = ${port}
auth_strategy = noauth
core_plugin = ml2
service_plugins =${o.tags ? ' tag' : ''}
api_paste_config = ${dir}/api-paste.ini
transport_url = fake:/
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_workers = 0
rpc_workers = 0
rpc_state_report_workers = 0
allow_pagination = true
allow_sorting = true
state_path = ${dir}/state
use_stderr = false
log_file = ${dir}/neutron-server.log

[database]
connection = sqlite:///${dir}/neutron.db

[oslo_concurrency]
lock_path = ${dir}/lock

[oslo_policy]
enforce_scope = false
enforce_new_defaults = false

[ml2]
type_drivers = flat,vlan,vxlan,local
tenant_network_types = vxlan
mechanism_drivers = openvswitch
extension_drivers = port_security${o.tags ? ',tag_ports_during_bulk_creation' : ''}

[ml2_type_vxlan]
vni_ranges = 1:1000

[securitygroup]
enable_security_group = true
firewall_driver = openvswitch
`;

// the stock pipeline minus authtoken: keystonecontext believes the identity headers
const PASTE = `[composite:neutron]
use = egg:Paste#urlmap
/: neutronversions
/v2.0: neutronapi_v2_0

[composite:neutronapi_v2_0]
use = call:neutron.auth:pipeline_factory
noauth = request_id catch_errors keystonecontext extensions neutronapiapp_v2_0

[filter:request_id]
paste.filter_factory = oslo_middleware:RequestId.factory

[filter:catch_errors]
paste.filter_factory = oslo_middleware:CatchErrors.factory

[filter:keystonecontext]
paste.filter_factory = neutron.auth:NeutronKeystoneContext.factory

[filter:extensions]
paste.filter_factory = neutron.api.extensions:plugin_aware_extension_middleware_factory

[app:neutronversions]
paste.app_factory = neutron.pecan_wsgi.app:versions_factory

[app:neutronapiapp_v2_0]
paste.app_factory = neutron.api.v2.router:APIRouter.factory
`;

const CREATE_SCHEMA = `
import sys
from oslo_config import cfg
from oslo_db import options
from neutron.common import config
from neutron.db.migration.models import head
import sqlalchemy as sa
config.register_common_config_options()
options.set_defaults(cfg.CONF)
cfg.CONF(['--config-file', sys.argv[1]], project='neutron')
head.get_metadata().create_all(sa.create_engine(cfg.CONF.database.connection))
`;

// an L2 agent's report_state as the server's RPC handler takes it (AgentExtRpcCallback.report_state → create_or_update_agent)
const REPORT_AGENT = `
import json, sys
from oslo_config import cfg
from oslo_db import options
from neutron.common import config
from neutron.db import agents_db
config.register_common_config_options()
options.set_defaults(cfg.CONF)
cfg.CONF(['--config-file', sys.argv[1]], project='neutron')
from neutron_lib import context
agents_db.AgentDbMixin().create_or_update_agent(context.get_admin_context(), json.loads(sys.argv[2]))
`;

/** Registers an agent in the server's database as its own report_state does (the agent then counts as alive for agent_down_time). */
export function reportAgent(server: NeutronServer, state: Record<string, unknown>): Promise<void> {
  return python(['-c', REPORT_AGENT, server.config, JSON.stringify(state)], dirname(server.config));
}

const SERVER = "import sys; sys.argv[0] = 'neutron-server'; from neutron.cmd.eventlet.server import main; sys.exit(main())";

function python(args: string[], cwd: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(SYSTEM_PYTHON, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    child.once('exit', (code) => (code === 0 ? ok() : fail(new Error(`python ${args[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function ready(url: string, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}/v2.0/extensions`, { headers: { 'X-User-Id': 'ready', 'X-Project-Id': 'ready', 'X-Roles': 'admin' } })
      .then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  const log = join(dir, 'neutron-server.log');
  throw new Error(`neutron-server did not answer: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : 'no log'}`);
}

export async function startNeutronServer(o: NeutronServerOptions = {}): Promise<NeutronServer> {
  if (!existsSync(SYSTEM_PYTHON)) throw new Error(`${SYSTEM_PYTHON} missing: the real neutron-server needs Debian's python3-neutron (scripts/test-deps.sh installs it)`);
  const dir = mkdtempSync(join(tmpdir(), 'portsec-neutron-'));
  for (const d of ['state', 'lock']) mkdirSync(join(dir, d));
  const port = await freePort();
  const confFile = join(dir, 'neutron.conf');
  writeFileSync(confFile, conf(dir, port, o));
  writeFileSync(join(dir, 'api-paste.ini'), PASTE);
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      // the server leads its own process group (detached): its workers go with it
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(-child!.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await python(['-c', CREATE_SCHEMA, confFile], dir);
    await python(['-c', "import sys; sys.argv[0] = 'neutron-db-manage'; from neutron.db.migration.cli import main; sys.exit(main())",
      '--config-file', confFile, 'stamp', 'heads'], dir);
    child = spawn(SYSTEM_PYTHON, ['-c', SERVER, '--config-file', confFile], { cwd: dir, detached: true, stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    await ready(url, child, dir);
    return { url, config: confFile, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
