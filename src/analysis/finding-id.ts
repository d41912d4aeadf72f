/** Finding ids: stable from run to run on the same cloud, so `--check`, baselines, suppressions and `portsec fix` can name one. */
import * as crypto from 'node:crypto';

/**
 * SHA-256 in hex: one-shot crypto.hash where Node has it (20.12 and later), half the cost of a Hash object
 * per finding (bench/audit's 90,000); the same digest either way.
 */
const sha256: (text: string) => string = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** The check and what singles the finding out (its objects, in the check's order; a flow class's address, service and sources). */
export function findingId(check: string, keys: readonly string[]): string {
  return `${check}-${sha256([check, ...keys].join('\n')).slice(0, 8)}`;
}
