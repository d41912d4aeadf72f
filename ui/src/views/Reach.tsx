/** can-reach: a flow from SRC to DST, answered with every step the packet meets, and what to change when denied. */
import { useState } from 'preact/hooks';
import type { ReachAnswer, ReachQuery, ReachStep } from '../../../src/analysis/answers.js';
import { headline, stepSentences } from '../../../src/analysis/report/explain.js';
import type { Api } from '../api.js';
import type { CloudIndex } from '../cloud-index.js';
import { type Marks, memberThrough } from '../graph/marks.js';
import { BackendBadge, CopyButton, type Navigate, ObjectLink, Sentence, Through } from './common.js';

const STAGES: Record<ReachStep['stage'], string> = {
  entry: 'Entry',
  network: 'Network',
  spoof: 'Anti-spoofing',
  egress: 'Egress',
  ingress: 'Ingress',
  delivery: 'Delivery',
};

export interface ReachForm {
  src: string;
  dst: string;
  protocol: string;
  port: string;
  /** with a port as source: the address it sends from */
  sourceIp: string;
  view: NonNullable<ReachQuery['view']>;
}

export const emptyReach: ReachForm = { src: '', dst: '', protocol: 'tcp', port: '', sourceIp: '', view: 'api' };

/** A query as the form holds it (a migration row's flow opens here). */
export const reachForm = (q: ReachQuery): ReachForm =>
  ({ src: q.src, dst: q.dst, protocol: q.protocol, port: q.port === undefined ? '' : String(q.port), sourceIp: q.sourceIp ?? '', view: q.view ?? 'api' });

/** Each filtering side's firewall the verdict assumed (the sender's egress, the receiver's ingress), and what showed it. */
function Assumed({ answer, index, nav }: { answer: ReachAnswer; index: CloudIndex; nav: Navigate }) {
  return (
    <ul class="assumed" aria-label="Firewall assumed">
      {answer.assumed.map((u) => (
        <li key={u.stage} data-stage={u.stage}>
          <ObjectLink o={u.port} index={index} nav={nav} text={u.port.name ?? u.port.id.slice(0, 8)} /> {u.stage}: <BackendBadge backend={u.backend} why={u.why} />
          {u.evidence && <span class="hint"> ({u.evidence})</span>}
        </li>
      ))}
    </ul>
  );
}

/** The finding through which a filtering step's rule matched (a member's wide pair), if any. */
function stepThrough(s: ReachStep, marks: Marks) {
  if (s.stage !== 'ingress' && s.stage !== 'egress') return undefined;
  return s.by === 'rule' ? memberThrough(marks, s.rule.origin, s.member) : undefined;
}

function Steps({ answer, index, marks, nav }: { answer: ReachAnswer; index: CloudIndex; marks: Marks; nav: Navigate }) {
  return (
    <ol class="steps">
      {answer.steps.map((s, i) => (
        <li key={i} class={s.ok ? 'step ok' : 'step blocked'} data-stage={s.stage}>
          <span class="step-state">{s.ok ? '✓ ok' : '✗ blocked'}</span>
          <span class="step-stage">{STAGES[s.stage] ?? s.stage}</span>
          <span class="step-text">{stepSentences(s).map((p, k) => <Sentence key={k} phrase={p} index={index} nav={nav} />)}<Through finding={stepThrough(s, marks)} nav={nav} /></span>
        </li>
      ))}
    </ol>
  );
}

export function ReachView({ api, index, marks, nav, form, setForm }: { api: Api; index: CloudIndex; marks: Marks; nav: Navigate; form: ReachForm; setForm: (f: ReachForm) => void }) {
  const [answer, setAnswer] = useState<ReachAnswer>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const field = (k: keyof ReachForm) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });

  async function submit(e: Event) {
    e.preventDefault();
    const q: ReachQuery = { src: form.src.trim(), dst: form.dst.trim(), protocol: form.protocol.trim(), view: form.view };
    if (form.port.trim() !== '') q.port = Number(form.port);
    if (form.sourceIp.trim() !== '') q.sourceIp = form.sourceIp.trim();
    setBusy(true);
    setError(undefined);
    try {
      setAnswer(await api.canReach(q));
    } catch (err) {
      setAnswer(undefined);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const endpoints = [...index.ports.values()].flatMap((p) => [p.name, ...p.fixed_ips.map((f) => f.ip_address)]).filter(Boolean);
  return (
    <section class="reach-view" aria-labelledby="reach-title">
      <h2 id="reach-title">Can reach?</h2>
      <form class="reach-form" onSubmit={submit}>
        <label>Source <span class="hint">port, instance or IP</span>
          <input name="src" required list="endpoints" value={form.src} onInput={field('src')} placeholder="200.200.200.200" />
        </label>
        <label>Destination <span class="hint">port, instance or IP</span>
          <input name="dst" required list="endpoints" value={form.dst} onInput={field('dst')} placeholder="proxy" />
        </label>
        <label>Protocol
          <input name="protocol" required list="protocols" value={form.protocol} onInput={field('protocol')} />
        </label>
        <label>Port <span class="hint">(optional)</span>
          <input name="port" type="number" min={0} max={65535} value={form.port} onInput={field('port')} />
        </label>
        <label>Address sent from <span class="hint">(optional, SRC a port: a VIP or forwarded source)</span>
          <input name="sourceIp" value={form.sourceIp} onInput={field('sourceIp')} />
        </label>
        <label>Answer for <span class="hint">(agents: as the compute nodes' agents hold it)</span>
          <select name="view" value={form.view} onChange={field('view')}>
            <option value="api">what the API says</option>
            <option value="agents">what the agents enforce</option>
          </select>
        </label>
        <button type="submit" disabled={busy}>{busy ? 'Tracing…' : 'Trace'}</button>
        <datalist id="endpoints">{[...new Set(endpoints)].slice(0, 500).map((v) => <option key={v} value={v} />)}</datalist>
        <datalist id="protocols">{['tcp', 'udp', 'icmp', 'vrrp', 'ipv6-icmp'].map((v) => <option key={v} value={v} />)}</datalist>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <div aria-live="polite">
        {answer && (
          <div class="answer">
            <p class={`verdict verdict-${answer.verdict.toLowerCase()}`} data-verdict={answer.verdict}>
              {headline(answer)}
            </p>
            <Assumed answer={answer} index={index} nav={nav} />
            <Steps answer={answer} index={index} marks={marks} nav={nav} />
            {answer.changes.length > 0 && (
              <div class="changes">
                <h3>To allow it, change</h3>
                <ul>
                  {answer.changes.map((c) => (
                    <li key={c.command}>
                      <p>{c.why}</p>
                      <pre tabIndex={0}>{c.command}</pre>
                      <CopyButton text={c.command} what={c.command} />
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
