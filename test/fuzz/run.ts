/**
 * One run of the differential fuzzer: the generator's requests sent to the reference
 * server (the real neutron-server) and to the candidate (`portsec serve`), both from
 * fresh databases, at the same time; each side puts its own ids for the handles in.
 * The answers normalise as the conformance scenario's do (test/conformance/) and are
 * scored call by call; each difference is counted under its class (the request's
 * label, what differs, and the two answers in brief).
 */
import { type Json } from '../conformance/normalise.js';
import { type Diff, score } from '../conformance/score.js';
import { type Call, MISSING, Session } from '../conformance/session.js';
import { DELIBERATE } from './deliberate.js';
import { Generator, type Request } from './generator.js';
import { NOBODY } from './resources.js';

export interface Figures {
  seed: number;
  calls: number;
  status: number;
  error: number;
  body: number;
  /** every other difference, by class: how many, and the first call of the class */
  classes: Map<string, { count: number; first: Diff }>;
  seconds: number;
  /** both sides' normalised calls, for a closer look at a class (`npm run fuzz -- --dump FILE`) */
  transcripts: { reference: Call[]; candidate: Call[] };
}

const withIds = (s: Session, text: string) => text.replace(/<<([^>]+)>>/g, (_, h: string) => s.id(h));

async function send(s: Session, step: string, req: Request) {
  const body = req.body === undefined ? undefined : JSON.parse(withIds(s, JSON.stringify(req.body))) as Json;
  const headers = req.headers && JSON.parse(withIds(s, JSON.stringify(req.headers))) as Record<string, string>;
  return s.call(step, req.method, withIds(s, req.path), { who: req.who, body, headers });
}

function saveMade(s: Session, req: Request, name: string, r: { status: number; body: any }): void {
  if (r.status !== 201) return;
  const made = r.body?.[req.resource.member];
  if (req.resource.isPort) s.savePort(name, made, (req.body as any).port);
  else s.save(name, made?.id);
}

/**
 * standard_attr_id counts every object a server ever made (its default groups and
 * their rules too): once one create went differently, every later one differs. Named,
 * like the ids, by what it is.
 */
function counted(calls: Call[]): Call[] {
  const strip = (v: Json): Json => Array.isArray(v) ? v.map(strip)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'standard_attr_id' && typeof x === 'number' ? '<standard_attr_id>' : strip(x)]))
    : v;
  return calls.map((c) => ({ ...c, response: strip(c.response) }));
}

export async function fuzz(reference: string, candidate: string, seed: number, calls: number, progress?: (n: number) => void): Promise<Figures> {
  const started = Date.now();
  const gen = new Generator(seed);
  const ref = new Session(reference);
  const cand = new Session(candidate);
  const labels: string[] = [];
  // the ids nobody has are named up front: named by order of appearance, they would differ by side
  for (const s of [ref, cand]) { s.save('nobody', NOBODY); s.save('missing', MISSING); }
  for (let n = 1; n <= calls; n++) {
    const req = gen.next();
    const step = `#${n} ${req.label}`;
    labels[n] = req.label;
    const [r, c] = await Promise.all([send(ref, step, req), send(cand, step, req)]);
    const name = gen.learn(req, r.status, r.body);
    if (name) { saveMade(ref, req, name, r); saveMade(cand, req, name, c); }
    if (req.op === 'list' && req.resource.kind === 'security_group' && r.status === 200) {
      for (const d of gen.learnDefaults(r.body.security_groups ?? [])) {
        ref.save(d.name, r.body.security_groups.find((x: any) => x.name === 'default' && x.project_id === d.project)?.id);
        cand.save(d.name, c.body?.security_groups?.find((x: any) => x.name === 'default' && x.project_id === d.project)?.id);
      }
    }
    if (progress && n % 250 === 0) progress(n);
  }
  const transcripts = { reference: counted(ref.transcript('reference').calls), candidate: counted(cand.transcript('candidate').calls) };
  const result = score(transcripts.reference, transcripts.candidate);
  const figures: Figures = { seed, calls, status: result.status, error: result.error, body: result.body, classes: new Map(),
    seconds: (Date.now() - started) / 1000, transcripts };
  for (const d of result.diffs) {
    const label = labels[d.n];
    const key = `${d.why}: ${label}: neutron ${d.reference}, portsec ${d.candidate}`;
    const cls = figures.classes.get(key);
    if (cls) cls.count++;
    else figures.classes.set(key, { count: 1, first: d });
  }
  return figures;
}

const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(2)}%`;

/** The figures as the fuzzer prints them. */
export function report(f: Figures, top = 40): string {
  const lines = [
    `fuzz: seed ${f.seed}, ${f.calls} calls in ${f.seconds.toFixed(0)} s (${(f.calls / f.seconds).toFixed(1)} calls/s)`,
    `  equal status ${pct(f.status, f.calls)}, equal error type ${pct(f.error, f.calls)}, equal bodies ${pct(f.body, f.calls)}`,
    ...DELIBERATE.map((d) => `  not sent (deliberate difference): ${d.request}: ${d.reason}`),
  ];
  const classes = [...f.classes.entries()].sort(([, a], [, b]) => b.count - a.count);
  lines.push(`  ${classes.length} classes of difference, ${classes.reduce((a, [, c]) => a + c.count, 0)} calls:`);
  for (const [key, c] of classes.slice(0, top)) lines.push(`  ×${c.count} ${key} (first: #${c.first.n} ${c.first.call})`);
  if (classes.length > top) lines.push(`  … ${classes.length - top} more classes`);
  return lines.join('\n');
}
