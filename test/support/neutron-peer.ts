/**
 * The real neutron-server of ../shared/neutron-peer (Debian's python3-neutron,
 * SQLite, no Keystone: it believes X-User-Id/X-Project-Id/X-Roles), started
 * fresh in a directory and on a port of its own, and stopped by its stop.sh
 * (which kills only the PID it saved).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SHARED } from './server.js';

const run = promisify(execFile);

export interface NeutronPeer {
  url: string;
  /** seconds from start.sh --fresh until it answered (schema creation included) */
  startSeconds: number;
  stop(): Promise<void>;
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

export async function startNeutronPeer(): Promise<NeutronPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-neutron-peer-'));
  const port = await freePort();
  const env = { ...process.env, NEUTRON_PEER_DIR: dir, NEUTRON_PEER_PORT: String(port) };
  const peer = join(SHARED, 'neutron-peer');
  const stop = async () => {
    await run(join(peer, 'stop.sh'), [], { env }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const t0 = performance.now();
  try {
    await run(join(peer, 'start.sh'), ['--fresh'], { env });
  } catch (e) {
    await stop();
    throw new Error(`neutron-peer did not start: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  return { url: `http://127.0.0.1:${port}`, startSeconds: (performance.now() - t0) / 1000, stop };
}
