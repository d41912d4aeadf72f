/**
 * A finding's fixes as the server proves them (applied to the snapshot, the
 * analysis run again): what each closes, what stays open, that it opens nothing
 * and that the finding is gone, and its script, runnable as it stands. Asked for
 * on demand: each proof re-runs the analysis.
 */
import { createContext } from 'preact';
import { useContext, useState } from 'preact/hooks';
import { fixScript } from '../../../src/analysis/fix/script.js';
import type { Api, ProvenFixes as Proven } from '../api.js';
import { CopyButton } from './common.js';

/** The console's API client, for the cards that fetch on demand. */
export const ApiContext = createContext<Api | undefined>(undefined);

type State = { at: 'idle' } | { at: 'loading' } | { at: 'done'; fixes?: Proven } | { at: 'failed'; message: string };

const IDLE: State = { at: 'idle' };

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const flows = (n: number, what = 'flow class') => count(n, what, `${what}es`);

export function ProvenFixes({ findingId, title }: { findingId: string; title: string }) {
  const api = useContext(ApiContext);
  // a proof holds for the client (and so the firewall) it was asked with: another client starts over
  const [asked, setAsked] = useState<{ api: Api; state: State }>();
  if (!api) return null;
  const state = asked?.api === api ? asked.state : IDLE;
  if (state.at === 'idle' || state.at === 'loading') {
    const load = () => {
      const set = (s: State) => setAsked({ api, state: s });
      set({ at: 'loading' });
      api.fixes(findingId).then((fixes) => set({ at: 'done', fixes }), (e: unknown) => set({ at: 'failed', message: e instanceof Error ? e.message : String(e) }));
    };
    return <p><button type="button" onClick={load} disabled={state.at === 'loading'}>{state.at === 'loading' ? 'Proving the fixes…' : 'Prove the fixes'}</button></p>;
  }
  if (state.at === 'failed') return <p class="error" role="alert">The fixes could not be proven: {state.message}</p>;
  if (!state.fixes) return <p class="hint">This server proves no fixes: the commands above are not proven.</p>;
  const { offered, refused } = state.fixes;
  return (
    <div class="proven" aria-label="Proven fixes">
      {offered.length === 0 && <p>No fix could be proven safe.</p>}
      {offered.map((f) => {
        const script = fixScript(f.actions).join('\n');
        return (
          <section key={f.kind} class="proven-fix" data-kind={f.kind}>
            <h5>{f.title}</h5>
            <p class="proof">Proven: closes {flows(f.proof.closed.length)}, leaves {flows(f.proof.stayOpen.length)} open, opens {f.proof.opened.length === 0 ? 'nothing' : flows(f.proof.opened.length, 'restored flow class')}; the finding is {f.proof.findingGone ? 'gone' : 'still there'} afterwards.</p>
            {f.caveats.length > 0 && <ul class="caveats">{f.caveats.map((c) => <li key={c}>{c}</li>)}</ul>}
            <div class="fix-head"><strong>Script</strong><CopyButton text={script} what={`the proven fix for: ${title}`} /></div>
            <pre tabIndex={0} aria-label="proven fix script">{script}</pre>
          </section>
        );
      })}
      {refused.length > 0 && (
        <details>
          <summary>{count(refused.length, 'fix', 'fixes')} not offered</summary>
          <ul>{refused.map((r) => <li key={r.fix.kind}>{r.fix.title}: {r.why}</li>)}</ul>
        </details>
      )}
    </div>
  );
}
