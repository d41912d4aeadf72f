/**
 * Network namespaces for tests: named ps-<purpose>-<pid>-<n>, created and
 * deleted through the data plane's own functions, and tracked so a suite can
 * remove what it made even when a test fails.
 */
import { run } from '../../src/dataplane/exec.js';
import { createNamespace as create, deleteNamespace as remove } from '../../src/dataplane/netns.js';

let counter = 0;
const owned = new Set<string>();

export function createNamespace(purpose: string): string {
  const name = `ps-${purpose}-${process.pid}-${counter++}`;
  create(name);
  owned.add(name);
  return name;
}

export function deleteNamespace(name: string): void {
  if (!owned.has(name)) throw new Error(`refusing to delete namespace ${name}: not created by this test`);
  remove(name);
  owned.delete(name);
}

export function deleteAllNamespaces(): void {
  for (const name of [...owned]) deleteNamespace(name);
}

/** Runs a command inside the namespace; returns stdout. */
export const inNamespace = (ns: string, argv: string[], input?: string): string => run(argv, { ns, input });

export const isRoot = () => process.getuid?.() === 0;
