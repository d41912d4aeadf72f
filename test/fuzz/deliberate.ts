/**
 * The fuzzer's deliberate differences, in one place, each with its reason (the README's
 * "Deliberate differences from Zed" says the same for users). A difference listed here
 * is counted apart, by reason; every other one is a class to fix.
 */
import { type Diff } from '../conformance/score.js';

interface Deliberate {
  reason: string;
  /** the requests it covers (by label) and how they differ */
  covers(label: string, d: Diff): boolean;
}

export const DELIBERATE: Deliberate[] = [
  {
    reason: 'PUT on a rule answers 500 on Zed (ML2 lacks update_security_group_rule); portsec updates its description',
    covers: (label, d) => label.startsWith('update security_group_rule') && d.reference.startsWith('500'),
  },
];

export function deliberate(label: string, d: Diff): string | undefined {
  return DELIBERATE.find((x) => x.covers(label, d))?.reason;
}
