/** Probe servers and streams for tests, stopped by their PID even when a test fails; clients as the lab runs them. */
import { type RunningProbe, startService, startUdpSink, startUdpStream } from '../../src/lab/probes.js';

export { connect } from '../../src/lab/probes.js';

const servers = new Set<number>();
const streams = new Set<RunningProbe>();

export async function serve(ns: string, port: number): Promise<number> {
  const pid = await startService(ns, port);
  servers.add(pid);
  return pid;
}

export async function udpSink(ns: string, ports: number[]) {
  const sink = await startUdpSink(ns, ports);
  streams.add(sink);
  return sink;
}

export async function udpStream(ns: string, intervalMs: number, seconds: number, targets: string[]) {
  const stream = await startUdpStream(ns, intervalMs, seconds, targets);
  streams.add(stream);
  return stream;
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
  for (const s of streams) {
    await s.stop();
    streams.delete(s);
  }
}
