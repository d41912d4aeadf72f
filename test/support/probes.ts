/** Probe servers for tests, stopped by their PID; clients as the lab runs them. */
import { startService } from '../../src/lab/probes.js';

export { connect } from '../../src/lab/probes.js';

const servers = new Set<number>();

export async function serve(ns: string, port: number): Promise<number> {
  const pid = await startService(ns, port);
  servers.add(pid);
  return pid;
}

export async function stopServers(): Promise<void> {
  for (const pid of servers) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    servers.delete(pid);
  }
}
