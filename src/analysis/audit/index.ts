/** The audit: every check over one cloud, most severe first. */
import { type Finding, type Found, SEVERITIES } from '../answers.js';
import { findingId } from '../finding-id.js';
import { type Cloud } from '../cloud.js';
import { type NeutronBackend } from '../../policy/neutron-backends.js';
import { adminPortFindings } from './admin-ports.js';
import { nonIpDroppedFindings, statelessIgnoredFindings } from './backend-gaps.js';
import { foldDerived } from './fold.js';
import { emptyRemoteGroupFindings, shadowedFindings, unusedGroupFindings } from './group-hygiene.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from './options.js';
import { ovnPairFindings } from './ovn-pairs.js';
import { portSecurityFindings } from './port-security.js';
import { sharedPinnedFindings } from './shared-pinned.js';
import { staleMemberFindings } from './stale-members.js';
import { vipFindings } from './vip.js';
import { pinnedPairFindings, widePairFindings } from './wide-pairs.js';

export const CHECKS: Record<string, (cloud: Cloud, o: AuditOptions) => Found[]> = {
  'wide-pair': widePairFindings,
  'pinned-pair': pinnedPairFindings,
  'shared-pinned': sharedPinnedFindings,
  'ovn-pair': ovnPairFindings,
  'stateless-tracked': statelessIgnoredFindings,
  'non-ip': nonIpDroppedFindings,
  'stale-members': staleMemberFindings,
  vip: vipFindings,
  'port-security': portSecurityFindings,
  'redundant-rule': shadowedFindings,
  'empty-remote-group': emptyRemoteGroupFindings,
  'admin-port': adminPortFindings,
  'unused-group': unusedGroupFindings,
};

/**
 * The check ids each group of CHECKS prints in its findings' Check column: what
 * `--check` takes (a group's name stays accepted and stands for all of its ids).
 */
export const CHECK_IDS: Record<keyof typeof CHECKS, readonly string[]> = {
  'wide-pair': ['wide-pair-in-remote-group', 'wide-pair-in-default-group'],
  'pinned-pair': ['wide-pair-pinned-to-mac'],
  'shared-pinned': ['ovs-shared-wildcard-member'],
  'ovn-pair': ['ovn-pair-not-member'],
  'stateless-tracked': ['stateless-group-tracked'],
  'non-ip': ['non-ip-dropped'],
  'stale-members': ['stale-members'],
  vip: ['vip-pair-missing', 'vip-without-vrrp'],
  'port-security': ['port-security-disabled'],
  'redundant-rule': ['redundant-rule'],
  'empty-remote-group': ['empty-remote-group'],
  'admin-port': ['admin-port-open-to-world'],
  'unused-group': ['unused-group'],
};

/** Every check id a finding can print, in the audit's order. */
export const CHECK_NAMES: readonly string[] = Object.values(CHECK_IDS).flat();

/** The group names --check accepts beside the check ids, each standing for its group's ids. */
export const CHECK_ALIASES: readonly string[] = Object.keys(CHECK_IDS).filter((g) => !CHECK_NAMES.includes(g));

/** The check ids `names` (ids or group names) stand for. */
export const checkIds = (names: readonly string[]): Set<string> =>
  new Set(names.flatMap((n) => (n in CHECK_IDS ? CHECK_IDS[n] : [n])));

/** A finding no backend decides: the backend of the first port it names (the cloud's default without one). */
function backendOf(cloud: Cloud, f: Found): NeutronBackend {
  const port = f.objects.find((o) => o.type === 'port');
  return port && cloud.ports.has(port.id) ? cloud.backendAt(port.id).backend : cloud.topology.options.backend;
}

/**
 * The finding as printed: `f` less its key, then its id and backend (the keys in the order of
 * `({ key, ...f }) => ({ ...f, id, backend })`, copied in a loop: bench/audit's 90,000 findings spent
 * most of a second in V8's rest copy).
 */
function finished(cloud: Cloud, f: Found): Finding {
  const out: Record<string, unknown> = {};
  for (const k in f) if (k !== 'key') out[k] = f[k as keyof Found];
  out.id = findingId(f.check, f.key ?? f.objects.map((o) => `${o.type}:${o.id}`));
  out.backend = f.backend ?? backendOf(cloud, f);
  return out as unknown as Finding;
}

/** `only`: check ids or group names (CHECK_IDS); default every check. */
export function audit(cloud: Cloud, o: AuditOptions = DEFAULT_AUDIT_OPTIONS, onCheck?: (name: string, i: number, n: number) => void, only?: readonly string[]): Finding[] {
  const wanted = only && checkIds(only);
  const names = Object.keys(CHECKS).filter((n) => !wanted || CHECK_IDS[n].some((id) => wanted.has(id)));
  const findings = names.flatMap((name, i) => {
    onCheck?.(name, i, names.length);
    return CHECKS[name](cloud, o).filter((f) => {
      // a check printing an id CHECK_IDS does not list would make --check miss it
      if (!CHECK_IDS[name].includes(f.check)) throw new Error(`check ${name} found ${f.check}, which CHECK_IDS does not list`);
      return !wanted || wanted.has(f.check);
    });
  }).map((f) => finished(cloud, f));
  return foldDerived(findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)));
}
