/** What the audit treats as too wide or too sensitive; the CLI and the guard share it. */
import { type Family } from '../../policy/ir.js';

export interface AuditOptions {
  /** a pair is wide when its prefix length is at most this (default 0: only /0) */
  widePair: Record<Family, number>;
  /** ports an administrator would not open to the world */
  adminPorts: number[];
}

export const DEFAULT_AUDIT_OPTIONS: AuditOptions = {
  widePair: { IPv4: 0, IPv6: 0 },
  adminPorts: [22, 23, 3389, 5900, 2375, 3306, 5432, 6379, 9200, 11211, 27017],
};

