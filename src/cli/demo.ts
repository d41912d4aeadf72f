/** `portsec demo`: the seed's scenarios on a portsec of its own, with real packets (root). */
import { type Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '../api/identity.js';
import { buildServer } from '../api/server.js';
import { AgentPool } from '../dataplane/agents.js';
import { NeutronClient } from '../lab/client.js';
import { runDemo } from '../lab/demo.js';
import { openStore } from '../store/open.js';
import { followStore } from './follow.js';

export function demoCommand(program: Command): void {
  program.command('demo')
    .description('build the seed\'s scenarios (anti-spoofing, keepalived VIP, NAT server, the remote-group pitfall) in namespaces and check each with real packets (root)')
    .action(async () => {
      if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces: run it as root');
      const dir = mkdtempSync(join(tmpdir(), 'portsec-demo-'));
      const store = openStore(join(dir, 'portsec.db'));
      const app = buildServer({ store, auth: 'none', accounts: new Accounts(undefined, undefined) });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const pool = new AgentPool(store);
      const print = (line: string) => process.stdout.write(`${line}\n`);
      const stopTicks = followStore(store, () => pool.tick(), (e) => print(`agents: ${(e as Error).message}`));
      try {
        print(`portsec demo: Neutron API at ${url}, compute nodes as network namespaces (ps-*)`);
        const results = await runDemo(await NeutronClient.connect(url), url, print);
        const failed = results.filter((r) => !r.ok).length;
        print(`${results.length - failed} passed, ${failed} failed`);
        process.exitCode = failed ? 1 : 0;
      } finally {
        await stopTicks();
        await app.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
