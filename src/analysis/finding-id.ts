/** Finding ids: stable from run to run on the same cloud, so `--check`, baselines, suppressions and `portsec fix` can name one. */
import { createHash } from 'node:crypto';

/** The check and what singles the finding out (its objects, in the check's order; a flow class's address, service and sources). */
export function findingId(check: string, keys: readonly string[]): string {
  return `${check}-${createHash('sha256').update([check, ...keys].join('\n')).digest('hex').slice(0, 8)}`;
}
