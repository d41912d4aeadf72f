/**
 * Network namespaces portsec owns: every name starts with "ps-", and only
 * namespaces created here are ever deleted, by their exact name.
 */
import { existsSync } from 'node:fs';
import { CommandError, run } from './exec.js';

const PREFIX = 'ps-';

function checkName(name: string): void {
  if (!name.startsWith(PREFIX) || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new CommandError(`namespace ${name}: portsec only manages namespaces named ${PREFIX}...`);
}

/** `ip netns` keeps a named namespace as a file under /run/netns: checked without spawning it (agents ask on every tick). */
export function namespaceExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

export function createNamespace(name: string): void {
  checkName(name);
  if (namespaceExists(name)) return;
  run(['ip', 'netns', 'add', name]);
  run(['ip', 'link', 'set', 'lo', 'up'], { ns: name });
}

export function deleteNamespace(name: string): void {
  checkName(name);
  if (namespaceExists(name)) run(['ip', 'netns', 'delete', name]);
}
