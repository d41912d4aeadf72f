/** Per-port exposure: for each port and service, the sources that may open a flow, and where each comes from. */
import { useEffect, useState } from 'preact/hooks';
import type { ExposureAddress, ExposureGroup, ExposureRow } from '../../../src/analysis/answers.js';
import { type Api, ApiError } from '../api.js';
import type { CloudIndex } from '../cloud-index.js';
import { sourcePhrase } from '../../../src/analysis/report/explain.js';
import { type Marks, memberThrough } from '../graph/marks.js';
import { BackendBadge, type Navigate, ObjectLink, PairChip, Sentence, Through } from './common.js';

/** A table of tens of thousands of rows helps nobody and stalls the page: the filter narrows it. */
const MAX_ROWS = 500;

export function ExposureView({ api, index, marks, nav, version, filter, setFilter }: {
  api: Api; index: CloudIndex; marks: Marks; nav: Navigate; version: number; filter: string; setFilter: (f: string) => void;
}) {
  const [rows, setRows] = useState<ExposureRow[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let current = true;
    api.exposure().then(
      (r) => current && (setRows(r), setError(undefined)),
      (e: unknown) => current && setError(e instanceof ApiError ? e.message : String(e)),
    );
    return () => {
      current = false;
    };
  }, [api, version]);

  const f = filter.trim().toLowerCase();
  const shown = (rows ?? []).filter((r) => !f || (r.port.name ?? '').toLowerCase().includes(f) || r.port.id.startsWith(f)
    || r.sources.some((s) => s.includes(f)) || `${r.protocol}/${r.ports}`.includes(f));
  return (
    <section class="exposure-view" aria-labelledby="exposure-title">
      <h2 id="exposure-title">Exposure</h2>
      <label class="filter">Filter <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} placeholder="port, source or tcp/80" /></label>
      {error && <p class="error" role="alert">The analyzer did not answer: {error}</p>}
      {!rows && !error && <p>Loading…</p>}
      {rows && (
        <table>
          <caption>
            {shown.length} of {rows.length} rows: who may open a flow to each port
            {shown.length > MAX_ROWS && ` (the first ${MAX_ROWS} shown: narrow the filter)`}
          </caption>
          <thead><tr><th scope="col">Port</th><th scope="col">Type</th><th scope="col">Service</th><th scope="col">Allowed sources</th><th scope="col">From</th><th scope="col">Firewall</th></tr></thead>
          <tbody>
            {shown.slice(0, MAX_ROWS).map((r) => (
              <tr key={`${r.port.id}|${r.ethertype}|${r.protocol}|${r.ports}`} data-port={r.port.name}>
                <td><ObjectLink o={r.port} index={index} nav={nav} /></td>
                <td>{r.ethertype}</td>
                <td>{r.protocol}{r.ports === 'any' ? '' : `/${r.ports}`}</td>
                <td>{r.sources.map((s) => <PairChip key={s} address={s} />)}</td>
                <td><ul class="origins">{r.origins.map((o, i) => <li key={i}>{'cidr' in o && <><code>{o.cidr}</code> </>}<Sentence phrase={sourcePhrase(o)} index={index} nav={nav} />
                  {o.from.kind === 'member' && <Through finding={memberThrough(marks, o.from.rule, o.from.member)} nav={nav} />}
                  {!('cidr' in o) && o.from.members > 0 && <Members api={api} row={r} origin={o} index={index} marks={marks} nav={nav} />}</li>)}</ul></td>
                <td><BackendBadge backend={r.backend} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A remote group's members behind one row's rule, asked for when opened: every member of every row is too much to load at once. */
function Members({ api, row, origin, index, marks, nav }: { api: Api; row: ExposureRow; origin: ExposureGroup; index: CloudIndex; marks: Marks; nav: Navigate }) {
  const [members, setMembers] = useState<ExposureAddress[]>();
  const [error, setError] = useState<string>();
  const { group, rule } = origin.from;
  const open = () => {
    if (members) return;
    api.exposure(row.port.id, true).then(
      (rows) => setMembers(rows.find((x) => x.ethertype === row.ethertype && x.protocol === row.protocol && x.ports === row.ports)?.origins
        .filter((o): o is ExposureAddress => o.from.kind === 'member' && o.from.member.group.id === group.id && o.from.rule.kind === 'group' && rule.kind === 'group' && o.from.rule.rule.id === rule.rule.id) ?? []),
      (e: unknown) => setError(e instanceof ApiError ? e.message : String(e)),
    );
  };
  return (
    <details class="members" onToggle={(e) => e.currentTarget.open && open()}>
      <summary>members</summary>
      {error && <p class="error" role="alert">{error}</p>}
      {!members && !error && <p>Loading…</p>}
      {members && <ul>{members.map((m, i) => <li key={i}><code>{m.cidr}</code> <Sentence phrase={sourcePhrase(m)} index={index} nav={nav} />
        {m.from.kind === 'member' && <Through finding={memberThrough(marks, m.from.rule, m.from.member)} nav={nav} />}</li>)}</ul>}
    </details>
  );
}
