/** Each check's fixes, by the check id a finding carries: what fix/prove.ts proves before anything is shown. */
import { type Finding } from '../answers.js';
import { adminPortFixes } from '../audit/admin-ports.js';
import { statefulCopyFixes } from '../audit/backend-gaps.js';
import { deleteGroupFixes, deleteRuleFixes } from '../audit/group-hygiene.js';
import { type AuditOptions } from '../audit/options.js';
import { pairPrefixFixes } from '../audit/ovn-pairs.js';
import { enablePortSecurityFixes } from '../audit/port-security.js';
import { dropPinnedPairFixes } from '../audit/shared-pinned.js';
import { refreshFixes } from '../audit/stale-members.js';
import { addVipFixes, admitVrrpFixes } from '../audit/vip.js';
import { moveToOwnGroupFixes } from '../audit/wide-pairs.js';
import { type Cloud } from '../cloud.js';
import { type Candidate } from './types.js';

/** non-ip-dropped has none: only the agents' configuration changes it (its evidence says how). */
const FIXES: Record<string, (cloud: Cloud, f: Finding, o: AuditOptions) => Candidate[]> = {
  'wide-pair-in-remote-group': moveToOwnGroupFixes,
  'wide-pair-in-default-group': moveToOwnGroupFixes,
  'wide-pair-pinned-to-mac': moveToOwnGroupFixes,
  'ovs-shared-wildcard-member': dropPinnedPairFixes,
  'ovn-pair-not-member': pairPrefixFixes,
  'stateless-group-tracked': statefulCopyFixes,
  'stale-members': refreshFixes,
  'vip-pair-missing': addVipFixes,
  'vip-without-vrrp': admitVrrpFixes,
  'port-security-disabled': enablePortSecurityFixes,
  'redundant-rule': deleteRuleFixes,
  'empty-remote-group': deleteRuleFixes,
  'admin-port-open-to-world': adminPortFixes,
  'unused-group': deleteGroupFixes,
};

export function candidatesFor(cloud: Cloud, f: Finding, o: AuditOptions): Candidate[] {
  return FIXES[f.check]?.(cloud, f, o) ?? [];
}
