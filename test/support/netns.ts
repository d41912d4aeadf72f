/**
 * Network namespaces for tests: always named ps-<purpose>-<pid>-<n>, created
 * and deleted by exact name, and removed even when a test fails.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';

let counter = 0;
const owned = new Set<string>();

export function createNamespace(purpose: string): string {
  const name = `ps-${purpose}-${process.pid}-${counter++}`;
  execFileSync('ip', ['netns', 'add', name]);
  owned.add(name);
  return name;
}

export function deleteNamespace(name: string): void {
  if (!owned.has(name)) throw new Error(`refusing to delete namespace ${name}: not created by this test`);
  execFileSync('ip', ['netns', 'delete', name]);
  owned.delete(name);
}

export function deleteAllNamespaces(): void {
  for (const name of [...owned]) deleteNamespace(name);
}

/** Runs a command inside the namespace; returns stdout. */
export function inNamespace(ns: string, argv: string[], input?: string, options: ExecFileSyncOptions = {}): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...options }) as string;
}

export const isRoot = () => process.getuid?.() === 0;
