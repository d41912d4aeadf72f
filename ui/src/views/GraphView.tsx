/**
 * The graph tab: a list of groups (the keyboard's way to the graph's nodes),
 * the graph, and beside it what is selected or, with nothing selected, the
 * findings drawn on the graph.
 */
import type { ElementDefinition } from 'cytoscape';
import { useMemo, useState } from 'preact/hooks';
import { SEVERITIES } from '../../../src/analysis/answers.js';
import type { CloudIndex } from '../cloud-index.js';
import { type Ref } from '../graph/elements.js';
import { Graph } from '../graph/Graph.js';
import { drawnSeverity, type Marks, worst } from '../graph/marks.js';
import { type Width, WIDTHS } from '../graph/pairs.js';
import { groupLabel, portLabel } from '../neutron.js';
import { SeverityChip } from './common.js';
import { type DetailActions, Details } from './Details.js';
import { CauseCard } from './Findings.js';
import { rootCauses } from '../root-causes.js';
import type { Finding } from '../../../src/analysis/answers.js';

/**
 * The list shows this many groups (the worst first, and the selection's) until
 * asked for all, and the side this many findings (the rest are in their tab):
 * the page around a large graph is laid out before the graph is drawn, a
 * thousand buttons take about as long as the graph itself.
 */
const LISTED = 50;
const BESIDE = 10;

const rank = (findings: Finding[] | undefined) => {
  const w = worst(findings);
  return w ? SEVERITIES.indexOf(w.severity) : SEVERITIES.length;
};

function GroupList({ index, marks, selected, act }: { index: CloudIndex; marks: Marks; selected?: Ref; act: DetailActions }) {
  const [filter, setFilter] = useState('');
  const [all, setAll] = useState(false);
  const groups = useMemo(() => [...index.groups.values()].sort((a, b) =>
    rank(marks.get(a.id)) - rank(marks.get(b.id)) || groupLabel(a).localeCompare(groupLabel(b))), [index, marks]);
  const open = new Set(selected ? index.groupsOf(selected) : []);
  const f = filter.trim().toLowerCase();
  const shown = groups.filter((g) => !f || groupLabel(g).toLowerCase().includes(f) || g.id.startsWith(f));
  const listed = all ? shown : shown.filter((g, i) => i < LISTED || open.has(g.id));
  return (
    <nav class="group-list" aria-label="Security groups">
      <label>Find a group <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} /></label>
      <p class="hint">{shown.length} of {groups.length} groups</p>
      <ul>
        {listed.map((g) => {
          const members = index.members.get(g.id) ?? [];
          const top = worst(marks.get(g.id));
          const current = selected?.kind === 'group' && selected.id === g.id;
          return (
            <li key={g.id}>
              <button type="button" class="item" aria-current={current ? 'true' : undefined} onClick={() => act.show({ kind: 'group', id: g.id })}>
                <span class="name" title={groupLabel(g)}>{index.shortName(g.id)}</span>
                <span class="hint">{members.length} port{members.length === 1 ? '' : 's'}</span>
                {top && <SeverityChip severity={top.severity} />}
              </button>
              {open.has(g.id) && members.length > 0 && (
                <ul class="ports">
                  {members.slice(0, 100).map((p) => (
                    <li key={p.id}>
                      <button type="button" class="item" aria-current={selected?.kind === 'port' && selected.id === p.id ? 'true' : undefined}
                        onClick={() => act.show({ kind: 'port', id: p.id })}>
                        <span class="name" title={portLabel(p)}>{index.shortName(p.id)}</span>
                        {p.allowed_address_pairs.length > 0 && <span class="hint">{p.allowed_address_pairs.length} pair{p.allowed_address_pairs.length === 1 ? '' : 's'}</span>}
                        {marks.get(p.id) && <SeverityChip severity={worst(marks.get(p.id))!.severity} />}
                      </button>
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      {listed.length < shown.length && (
        <button type="button" class="link" onClick={() => setAll(true)}>Show all {shown.length} groups</button>
      )}
    </nav>
  );
}

function Legend() {
  return (
    <div class="legend" aria-label="Legend">
      <span>Widest pair:</span>
      {(Object.keys(WIDTHS) as Width[]).map((w) => (
        <span key={w} class="legend-item"><span class="swatch" style={{ background: WIDTHS[w].colour }} />{WIDTHS[w].meaning}</span>
      ))}
      <span class="legend-item"><span class="swatch swatch-red" />critical/high finding</span>
      <span class="legend-item"><span class="swatch swatch-amber" />medium finding</span>
    </div>
  );
}

export interface GraphViewProps {
  /** undefined while the cloud loads */
  index?: CloudIndex;
  marks: Marks;
  findings: Finding[];
  elements?: ElementDefinition[];
  selected?: Ref;
  act: DetailActions;
  select: (r: Ref | undefined) => void;
  onReady: () => void;
  visible: boolean;
}

/** With nothing selected, the root causes of the findings the graph draws, the worst first. */
function DrawnFindings({ findings, index, act }: { findings: Finding[]; index: CloudIndex; act: DetailActions }) {
  const causes = useMemo(() => rootCauses(findings.filter((f) => drawnSeverity(f.severity))), [findings]);
  return (
    <>
      <h2>Findings on the graph</h2>
      {causes.length === 0 ? <p class="ok-note">Nothing drawn in red or amber: no critical, high or medium findings.</p>
        : <p class="hint">{causes.length} root cause{causes.length === 1 ? '' : 's'}, the worst first:</p>}
      {causes.slice(0, BESIDE).map((c) => <CauseCard key={c.key} cause={c} index={index} nav={act} />)}
      {causes.length > BESIDE && <p>… {causes.length - BESIDE} more root causes in the Findings tab.</p>}
      <p class="hint">Select a group, port or reference (in the graph or the list) to see its rules, members and pairs.</p>
    </>
  );
}

// one tree whether loaded or not: the graph's cytoscape instance outlives the loading
export function GraphView({ index, marks, findings, elements, selected, act, select, onReady, visible }: GraphViewProps) {
  const summary = index ? `Graph of ${index.groups.size} security groups, ${index.edges.size} remote-group references and ${index.ports.size} ports. `
    + 'Use the list of groups to reach its nodes with the keyboard.' : 'Graph of the cloud, loading.';
  return (
    <div class="graph-view">
      {index ? <GroupList index={index} marks={marks} selected={selected} act={act} /> : <p class="loading">Loading the cloud…</p>}
      <div class="graph-pane">
        <Graph elements={elements} selected={selected} onSelect={select} onReady={onReady} label={summary} visible={visible} />
        <Legend />
      </div>
      <aside class="side" aria-label={selected ? 'Selection' : 'Findings on the graph'}>
        {index && selected && (
          <>
            <p><button type="button" class="link" onClick={() => select(undefined)}>← All findings on the graph</button></p>
            <Details selected={selected} index={index} marks={marks} act={act} />
          </>
        )}
        {index && !selected && <DrawnFindings findings={findings} index={index} act={act} />}
      </aside>
    </div>
  );
}
