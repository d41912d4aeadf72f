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

/** A finding no backend decides: the backend of the first port it names (the cloud's default without one). */
function backendOf(cloud: Cloud, f: Found): NeutronBackend {
  const port = f.objects.find((o) => o.type === 'port');
  return port && cloud.ports.has(port.id) ? cloud.backendAt(port.id).backend : cloud.topology.options.backend;
}

/** Most severe first, each derived finding pointing at its root cause (foldDerived). */
export function audit(cloud: Cloud, o: AuditOptions = DEFAULT_AUDIT_OPTIONS, onCheck?: (name: string, i: number, n: number) => void, only?: string[]): Finding[] {
  const names = Object.keys(CHECKS).filter((n) => !only || only.includes(n));
  const findings = names.flatMap((name, i) => {
    onCheck?.(name, i, names.length);
    return CHECKS[name](cloud, o);
  }).map((f): Finding => ({ ...f, id: findingId(f.check, f.objects.map((o) => `${o.type}:${o.id}`)), backend: f.backend ?? backendOf(cloud, f) }));
  return foldDerived(findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)));
}
