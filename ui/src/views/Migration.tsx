/**
 * Migration impact: the flow classes whose verdict changes when the cloud moves from one backend to another, with each side's reason.
 * From: the console's firewall when it forces one; per port, a choice of the tab's own, starting at the backend most ports run.
 */
import { useEffect, useState } from 'preact/hooks';
import type { DiffRow, ReachQuery } from '../../../src/analysis/answers.js';
import { diffSideSentences, sourcesText } from '../../../src/analysis/report/explain.js';
import { BACKEND_SEMANTICS, isNeutronBackend, NEUTRON_BACKENDS, type NeutronBackend } from '../../../src/policy/neutron-backends.js';
import { type Api, ApiError } from '../api.js';
import type { CloudIndex } from '../cloud-index.js';
import { mostRunBackend } from '../neutron.js';
import { type Navigate, ObjectLink, Sentence } from './common.js';

/** As in exposure: a table of thousands of rows stalls the page. */
const MAX_ROWS = 500;

function Side({ row, side, index, nav }: { row: DiffRow; side: 'from' | 'to'; index: CloudIndex; nav: Navigate }) {
  const verdict = row[side].verdict;
  return (
    <td data-side={side}>
      <span class={`verdict-chip verdict-${verdict.toLowerCase()}`}>{verdict}</span>
      {diffSideSentences(row, side).map((p, i) => <Sentence key={i} phrase={p} index={index} nav={nav} />)}
    </td>
  );
}

function BackendChoice({ name, label, value, set }: { name: string; label: string; value: NeutronBackend; set: (b: NeutronBackend) => void }) {
  return (
    <label class="inline">
      <span class="visually-hidden">{label}</span>
      <select name={name} value={value} onChange={(e) => isNeutronBackend(e.currentTarget.value) && set(e.currentTarget.value)}>
        {NEUTRON_BACKENDS.map((b) => <option key={b} value={b}>{BACKEND_SEMANTICS[b].label}</option>)}
      </select>
    </label>
  );
}

export function MigrationView({ api, index, nav, version, trace }: { api: Api; index: CloudIndex; nav: Navigate; version: number; trace: (flow: ReachQuery) => void }) {
  const [chosen, setFrom] = useState(() => mostRunBackend(index.cloud.ports));
  const from = api.backend ?? chosen;
  const [to, setTo] = useState<NeutronBackend>(from === 'ovn' ? 'iptables_hybrid' : 'ovn');
  const [rows, setRows] = useState<DiffRow[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let current = true;
    setRows(undefined);
    api.diff(from, to).then(
      (r) => current && (setRows(r), setError(undefined)),
      (e: unknown) => current && setError(e instanceof ApiError ? e.message : String(e)),
    );
    return () => {
      current = false;
    };
  }, [api, version, from, to]);

  return (
    <section class="migration-view" aria-labelledby="migration-title">
      <h2 id="migration-title">Migration</h2>
      <p>From {api.backend
        ? <><strong>{BACKEND_SEMANTICS[api.backend].label}</strong> (the console's firewall)</>
        : <BackendChoice name="from_backend" label="Move from" value={from} set={setFrom} />} to
        <BackendChoice name="to_backend" label="Move to" value={to} set={setTo} />
      </p>
      {error && <p class="error" role="alert">The analyzer did not answer: {error}</p>}
      {!rows && !error && <p>Loading…</p>}
      {rows && (
        <table>
          <caption>
            {rows.length === 0 ? 'No flow changes verdict.' : rows.length === 1 ? '1 flow class changes verdict' : `${rows.length} flow classes change verdict`}
            {rows.length > MAX_ROWS && ` (the first ${MAX_ROWS} shown)`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Destination</th><th scope="col">Service</th><th scope="col">Sent by</th><th scope="col">Sources</th>
              <th scope="col">{from}</th><th scope="col">{to}</th><th scope="col">One flow</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((r, i) => (
              <tr key={i} data-change={`${r.from.verdict}->${r.to.verdict}`} data-senders={r.senders.map((s) => s.name ?? s.id).join(' ')}>
                <td>{r.destination.ports.map((p) => <ObjectLink key={p.id} o={p} index={index} nav={nav} text={p.name ?? p.id.slice(0, 8)} />)} <code>{r.destination.address}</code></td>
                <td>{r.ethertype} {r.protocol}{r.ports === 'any' ? '' : `/${r.ports}`}</td>
                <td>{r.senders.map((s) => <ObjectLink key={s.id} o={s} index={index} nav={nav} text={s.name ?? s.id.slice(0, 8)} />)}</td>
                <td><code>{sourcesText(r)}</code></td>
                <Side row={r} side="from" index={index} nav={nav} />
                <Side row={r} side="to" index={index} nav={nav} />
                <td><button type="button" onClick={() => trace(r.flow)} aria-label={`Trace one flow of row ${i + 1} from ${r.flow.sourceIp}`}>Trace</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
