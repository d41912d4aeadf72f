/**
 * Derived findings folded under their root cause. One wide allowed-address pair in a
 * remote group is one mistake with one fix (the port out of the group), yet the checks
 * report it once per backend and pair half (wide-pair-*, the OVS firewall's pin) and
 * again as every admin port the widened rules open to the world: ten NAT servers read as
 * a hundred critical findings. The root is the most severe finding about a port's wide pairs
 * (in whichever group: a NAT server in three named groups is one cause, each group still its own
 * fix); the others about the same port's pairs, and those an admin port opens only through a
 * rule one of them widens, point at it.
 */
import { type Finding } from '../answers.js';
import { push } from '../cloud.js';

/** Checks about one port's pairs in a group: objects[0] the group, objects[1] the port. */
// (not OVN's note that a pair is no member: the opposite trap, which moving the port out does not fix)
const PAIR_CHECKS = new Set(['wide-pair-in-remote-group', 'wide-pair-in-default-group', 'wide-pair-pinned-to-mac']);
/** Checks that can root a cause: the pair widens the rules they name. */
const ROOT_CHECKS = new Set(['wide-pair-in-remote-group', 'wide-pair-in-default-group']);
/** Checks whose finding follows from a widened rule, and where that rule is among their objects. */
const THROUGH_RULE: Record<string, (f: Finding) => string | undefined> = {
  // the rule that opens the admin port: world-wide through its remote group only if a member's pair makes it so
  'admin-port-open-to-world': (f) => f.objects[1]?.id,
};

/** the cause: the port whose pairs are wide */
const pairKey = (f: Finding) => f.objects[1]?.id;

/**
 * Each finding with `rootCause` (the root's id) or `derived` (the ids of those folded
 * under it); the order is kept, so the most severe finding of a cause is its root.
 */
export function foldDerived(findings: readonly Finding[]): Finding[] {
  const rootOfPair = new Map<string, Finding>();
  const rootOfRule = new Map<string, Finding>();
  for (const f of findings) {
    if (!ROOT_CHECKS.has(f.check)) continue;
    const root = rootOfPair.get(pairKey(f)) ?? f;
    rootOfPair.set(pairKey(f), root);
    for (const o of f.objects) if (o.type === 'security_group_rule' && !rootOfRule.has(o.id)) rootOfRule.set(o.id, root);
  }
  const rootOf = (f: Finding): Finding | undefined => {
    const byPair = PAIR_CHECKS.has(f.check) ? rootOfPair.get(pairKey(f)) : undefined;
    if (byPair) return byPair === f ? undefined : byPair;
    const rule = THROUGH_RULE[f.check]?.(f);
    return rule === undefined ? undefined : rootOfRule.get(rule);
  };
  const derived = new Map<string, string[]>();
  const roots = findings.map((f) => {
    const root = rootOf(f);
    if (root) push(derived, root.id, f.id);
    return root?.id;
  });
  return findings.map((f, i) => {
    const under = derived.get(f.id);
    // most findings are neither: kept as they are (bench/audit: a copy of each of 90,000 cost a quarter second and their garbage)
    if (!roots[i] && !under) return f;
    return { ...f, ...(roots[i] ? { rootCause: roots[i] } : {}), ...(under ? { derived: under } : {}) };
  });
}
