/** Small pieces the views share: severity chips, backend badges, copy buttons, links from analyzer objects into the graph. */
import { useState } from 'preact/hooks';
import type { AssumedBackend, Finding, ObjectRef, Severity } from '../../../src/analysis/answers.js';
import { BACKEND_SEMANTICS, type NeutronBackend } from '../../../src/policy/neutron-backends.js';
import { type Phrase, refLabel } from '../../../src/analysis/report/explain.js';
import type { CloudIndex } from '../cloud-index.js';
import type { Ref } from '../graph/elements.js';
import { WIDTHS, widthOf } from '../graph/pairs.js';

export const SeverityChip = ({ severity }: { severity: Severity }) => <span class={`sev sev-${severity}`}>{severity}</span>;

const WHY: Record<AssumedBackend['why'], string> = { forced: 'forced', found: 'found', default: 'default' };

/** The firewall an answer assumed, and (where the answer says) why: forced by the Firewall choice, found on the port's node, or the default. */
export function BackendBadge({ backend, why }: { backend: NeutronBackend; why?: AssumedBackend['why'] }) {
  const label = BACKEND_SEMANTICS[backend].label;
  return (
    <span class="backend-badge" data-backend={backend} data-why={why} title={label}>
      {backend}{why && <span class="why"> · {WHY[why]}</span>}
    </span>
  );
}

/** A pair (or address) with its width in colour; the prefix is written out, so colour is never the only cue. */
export function PairChip({ address }: { address: string }) {
  const width = widthOf(address);
  return <span class="pair" style={{ background: WIDTHS[width].colour }} title={WIDTHS[width].meaning}>{address}</span>;
}

export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    navigator.clipboard.writeText(text).then(() => setState('copied'), () => setState('failed'));
  };
  return (
    <span class="copy">
      <button type="button" onClick={copy} aria-label={`Copy ${what}`}>Copy</button>
      <span role="status" class="copy-status">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy by hand' : ''}</span>
    </span>
  );
}

export interface Navigate {
  /** selects an object in the graph (and switches to it) */
  show: (r: Ref) => void;
  /** shows a finding in the Findings tab */
  finding: (id: string) => void;
}

/** A link to the object in the graph; `text` names it inside a sentence (default: its kind and name). */
export function ObjectLink({ o, index, nav, text = defaultText(o) }: { o: ObjectRef; index: CloudIndex; nav: Navigate; text?: string }) {
  const ref = index.refOf(o);
  if (!ref) return <span class="object">{text}</span>;
  return <button type="button" class="link" onClick={() => nav.show(ref)} title={`Show ${index.label(ref)} in the graph`}>{text}</button>;
}

/** An explanation's sentence, the objects it names linked into the graph. */
export function Sentence({ phrase, index, nav }: { phrase: Phrase; index: CloudIndex; nav: Navigate }) {
  return <span class="sentence">{phrase.map((x, i) => (typeof x === 'string' ? x : <ObjectLink key={i} o={x} index={index} nav={nav} text={refLabel(x)} />))}</span>;
}

function defaultText(o: ObjectRef): string {
  return o.type === 'security_group_rule' ? `rule ${o.id.slice(0, 8)}` : `${o.type.replace(/_/g, ' ')} ${o.name ?? o.id.slice(0, 8)}`;
}

/** An ALLOW that exists only through a finding says so, and links to it. */
export function Through({ finding, nav }: { finding: Finding | undefined; nav: Navigate }) {
  if (!finding) return null;
  return (
    <div class="through" data-finding={finding.id}>
      ⚠ allowed only through a finding:{' '}
      <button type="button" class="link" onClick={() => nav.finding(finding.id)}>{finding.title}</button>
    </div>
  );
}
