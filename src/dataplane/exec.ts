/**
 * Running the kernel's tools, on the host or inside a network namespace. Every
 * spawn is counted (a spawn costs 20–50 ms here, so the data plane keeps them few).
 */
import { execFileSync } from 'node:child_process';

export class CommandError extends Error {}

let spawns = 0;

export const spawnCount = (): number => spawns;

/** Runs argv (in `ns` when given) with optional stdin; returns stdout, throws with stderr on failure. */
export function run(argv: string[], options: { ns?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const full = options.ns ? ['ip', 'netns', 'exec', options.ns, ...argv] : argv;
  spawns++;
  try {
    return execFileSync(full[0], full.slice(1), { input: options.input, env: options.env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new CommandError(`${argv.join(' ')}${options.ns ? ` (in ${options.ns})` : ''}: ${(err.stderr || err.message).trim()}`);
  }
}
