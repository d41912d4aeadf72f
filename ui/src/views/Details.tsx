/** What the selected group, port or edge is, with the findings that touch it beside it. */
import type { Finding } from '../../../src/analysis/answers.js';
import type { CloudIndex } from '../cloud-index.js';
import type { Ref } from '../graph/elements.js';
import { type Marks, throughFinding, worst } from '../graph/marks.js';
import { groupLabel, portLabel, ruleService, type SecurityGroupRule } from '../neutron.js';
import { type Navigate, PairChip, SeverityChip, Through } from './common.js';
import { FindingCard } from './Findings.js';

export interface DetailActions extends Navigate {
  traceTo: (dst: string) => void;
  traceFrom: (src: string) => void;
  exposureOf: (port: string) => void;
}

function remote(index: CloudIndex, r: SecurityGroupRule, nav: Navigate) {
  if (r.remote_group_id) {
    const id = r.remote_group_id;
    return index.groups.has(id)
      ? <button type="button" class="link" onClick={() => nav.show({ kind: 'group', id })}>group {index.groupName(id)}</button>
      : <span>group {id.slice(0, 8)}</span>;
  }
  return r.remote_ip_prefix ? <PairChip address={r.remote_ip_prefix} /> : <span>anywhere</span>;
}

function Rules({ rules, index, marks, nav }: { rules: SecurityGroupRule[]; index: CloudIndex; marks: Marks; nav: Navigate }) {
  if (!rules.length) return <p>No rules.</p>;
  return (
    <table class="rules">
      <thead><tr><th scope="col">Dir</th><th scope="col">Type</th><th scope="col">Service</th><th scope="col">Remote</th></tr></thead>
      <tbody>
        {rules.map((r) => {
          const through = throughFinding(marks.get(r.id));
          return (
            <tr key={r.id} class={through ? 'through-finding' : undefined}>
              <td>{r.direction}</td><td>{r.ethertype}</td><td>{ruleService(r)}</td>
              <td>{remote(index, r, nav)}<Through finding={through} nav={nav} /></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A cluster of a large cloud: its groups (each a way into the graph), and what is found there. */
function ClusterDetails({ title, groups, index, marks, act }: { title: string; groups: string[]; index: CloudIndex; marks: Marks; act: DetailActions }) {
  const ports = new Set(groups.flatMap((g) => (index.members.get(g) ?? []).map((p) => p.id)));
  const findings = [...new Set([...groups, ...ports].flatMap((id) => marks.get(id) ?? []))];
  return (
    <div class="details">
      <h2>{title}</h2>
      <p>{groups.length} groups, {ports.size} ports{findings.length ? `, ${findings.length} findings` : ''}.</p>
      <ul class="members">
        {groups.slice(0, 200).map((id) => {
          const top = worst([...(marks.get(id) ?? []), ...(index.members.get(id) ?? []).flatMap((p) => marks.get(p.id) ?? [])]);
          return (
            <li key={id}>
              <button type="button" class="link" title={index.groupName(id)} onClick={() => act.show({ kind: 'group', id })}>{index.shortName(id)}</button>
              {' '}{index.members.get(id)?.length ?? 0} ports {top && <SeverityChip severity={top.severity} />}
            </li>
          );
        })}
        {groups.length > 200 && <li>… and {groups.length - 200} more</li>}
      </ul>
      <Related findings={findings.slice(0, 10)} index={index} nav={act} />
    </div>
  );
}

function Related({ findings, index, nav }: { findings: Finding[]; index: CloudIndex; nav: Navigate }) {
  if (!findings.length) return null;
  return (
    <section class="related" aria-label="Findings here">
      <h3>Findings here</h3>
      {findings.map((f, i) => <FindingCard key={`${f.check}:${i}`} finding={f} index={index} nav={nav} headingLevel={4} />)}
    </section>
  );
}

export function Details({ selected, index, marks, act }: { selected: Ref; index: CloudIndex; marks: Marks; act: DetailActions }) {
  if (selected.kind === 'group') {
    const g = index.groups.get(selected.id);
    if (!g) return <p>The group is gone.</p>;
    const members = index.members.get(g.id) ?? [];
    return (
      <div class="details">
        <h2>Group {groupLabel(g)}</h2>
        <p class="meta"><code>{g.id}</code>{g.description && ` — ${g.description}`}</p>
        <h3>Rules</h3>
        <Rules rules={index.cloud.rules.filter((r) => r.security_group_id === g.id)} index={index} marks={marks} nav={act} />
        <h3>Members ({members.length})</h3>
        <ul class="members">
          {members.slice(0, 200).map((p) => (
            <li key={p.id}>
              <button type="button" class="link" onClick={() => act.show({ kind: 'port', id: p.id })}>{portLabel(p)}</button>
              {' '}{p.fixed_ips.map((f) => f.ip_address).join(', ')}
              {p.allowed_address_pairs.map((a) => <PairChip key={a.ip_address} address={a.ip_address} />)}
            </li>
          ))}
          {members.length > 200 && <li>… and {members.length - 200} more</li>}
        </ul>
        <Related findings={marks.get(g.id) ?? []} index={index} nav={act} />
      </div>
    );
  }
  if (selected.kind === 'port') {
    const p = index.ports.get(selected.id);
    if (!p) return <p>The port is gone.</p>;
    const name = p.name || p.id;
    return (
      <div class="details">
        <h2>Port {portLabel(p)}</h2>
        <p class="meta"><code>{p.id}</code></p>
        <dl>
          <dt>Addresses</dt><dd>{p.fixed_ips.map((f) => f.ip_address).join(', ') || 'none'}</dd>
          <dt>Network</dt><dd>{index.networks.get(p.network_id)?.name || p.network_id.slice(0, 8)}</dd>
          <dt>Allowed-address pairs</dt>
          <dd>{p.allowed_address_pairs.length ? p.allowed_address_pairs.map((a) => <PairChip key={a.ip_address} address={a.ip_address} />) : 'none'}</dd>
          <dt>Port security</dt><dd>{p.port_security_enabled ? 'on' : 'off'}</dd>
          <dt>Groups</dt>
          <dd>{p.security_groups.map((id) => (
            <button key={id} type="button" class="link" onClick={() => act.show({ kind: 'group', id })}>{index.groupName(id)}</button>
          ))}</dd>
        </dl>
        <p class="actions">
          <button type="button" onClick={() => act.traceTo(name)}>Trace to this port</button>
          <button type="button" onClick={() => act.traceFrom(name)}>Trace from this port</button>
          <button type="button" onClick={() => act.exposureOf(name)}>Exposure</button>
        </p>
        <Related findings={marks.get(p.id) ?? []} index={index} nav={act} />
      </div>
    );
  }
  if (selected.kind === 'cluster') {
    const c = index.clusters?.clusters.get(selected.id);
    if (!c) return <p>The cluster is gone.</p>;
    return <ClusterDetails title={`Cluster ${index.clusterName(c.id)}`} groups={c.groups} index={index} marks={marks} act={act} />;
  }
  if (selected.kind === 'project') {
    const groups = index.cloud.groups.filter((g) => g.project_id === selected.id).map((g) => g.id);
    return <ClusterDetails title={`Project ${selected.id}`} groups={groups} index={index} marks={marks} act={act} />;
  }
  const e = index.edges.get(selected.id);
  if (!e) return <p>The reference is gone.</p>;
  const findings = [...new Set(e.rules.flatMap((r) => marks.get(r.id) ?? []))];
  return (
    <div class="details">
      <h2>{index.groupName(e.from)} → {index.groupName(e.to)}</h2>
      <p>Traffic from members of{' '}
        <button type="button" class="link" onClick={() => act.show({ kind: 'group', id: e.from })}>{index.groupName(e.from)}</button>
        {' '}to members of{' '}
        <button type="button" class="link" onClick={() => act.show({ kind: 'group', id: e.to })}>{index.groupName(e.to)}</button>,
        allowed by these rules (a member's allowed-address pairs count as its addresses):</p>
      <Through finding={throughFinding(findings)} nav={act} />
      <Rules rules={e.rules} index={index} marks={marks} nav={act} />
      <Related findings={findings} index={index} nav={act} />
    </div>
  );
}
