/** How `portsec serve` and `portsec demo` drive their agents: from the store's commit signal, not a polling timer. */
import { type Store } from '../store/repository.js';

/**
 * Runs `step` whenever woken, one run at a time: any wakes while it runs
 * collapse into one more run after it (which reads whatever they stood for).
 */
export function coalesce(step: () => Promise<void>, onError: (e: unknown) => void): { wake(): void; stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await step();
      } catch (e) {
        onError(e);
      }
    } while (again && !stopped);
    running = undefined;
  };
  return {
    wake() {
      if (stopped) return;
      if (running) again = true;
      else running = loop();
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}

/**
 * The safety net's period. The store signals every change it logs, but not what
 * happens outside it: a compute node removed from under its agent (`lab down`
 * deletes the namespace; the pool builds it again), an agent that failed to start
 * (retried), writes to the database file by another process (this process's
 * signal cannot hear them). Those wait for this timer; nothing else does.
 */
const SAFETY_MS = 1000;

/** Runs `step` now, after every commit that logged changes (coalesced), and every SAFETY_MS; returns how to stop. */
export function followStore(store: Store, step: () => Promise<void>, onError: (e: unknown) => void): () => Promise<void> {
  const runner = coalesce(step, onError);
  const unlisten = store.onCommit(() => runner.wake());
  const timer = setInterval(() => runner.wake(), SAFETY_MS);
  runner.wake();
  return async () => {
    unlisten();
    clearInterval(timer);
    await runner.stop();
  };
}
