/**
 * Scores a transcript against the reference one, call by call:
 *   status  the HTTP statuses are equal
 *   error   and for an error, so is the NeutronError type
 *   body    the whole normalised answer is equal (an error's message included); lists
 *           compare as multisets (Neutron returns most lists in id order, which is
 *           random), except the top-level list of a sorted request, whose order is the point
 */
import { canonical, type Json, sorted } from './normalise.js';
import { type Call } from './session.js';

export interface Diff {
  n: number;
  step: string;
  call: string;
  why: 'missing' | 'request' | 'status' | 'error type' | 'body';
  reference: string;
  candidate: string;
}

export interface Score {
  calls: number;
  status: number;
  error: number;
  body: number;
  diffs: Diff[];
}

const errorType = (body: Json): string | undefined => {
  const e = body && typeof body === 'object' && !Array.isArray(body) ? body.NeutronError : undefined;
  return e && typeof e === 'object' && !Array.isArray(e) && typeof e.type === 'string' ? e.type : undefined;
};

const brief = (c: Call) => `${c.status}${errorType(c.response) ? ` ${errorType(c.response)}` : ''}`;

export function score(reference: Call[], candidate: Call[]): Score {
  const byN = new Map(candidate.map((c) => [c.n, c]));
  const result: Score = { calls: reference.length, status: 0, error: 0, body: 0, diffs: [] };
  for (const r of reference) {
    const c = byN.get(r.n);
    const call = `${r.request.method} ${r.request.path}`;
    const diff = (why: Diff['why']) => result.diffs.push({ n: r.n, step: r.step, call, why, reference: brief(r), candidate: c ? brief(c) : '-' });
    if (!c) { diff('missing'); continue; }
    if (canonical(r.request as unknown as Json, true) !== canonical(c.request as unknown as Json, true)) { diff('request'); continue; }
    const status = r.status === c.status;
    const error = status && errorType(r.response) === errorType(c.response);
    const ordered = sorted(r.request.path);
    const body = error && canonical(r.response, ordered) === canonical(c.response, ordered);
    result.status += Number(status);
    result.error += Number(error);
    result.body += Number(body);
    if (!body) diff(!status ? 'status' : !error ? 'error type' : 'body');
  }
  return result;
}

export const summary = (s: Score) => `conformance: ${s.status}/${s.calls} status, ${s.error}/${s.calls} status+error, ${s.body}/${s.calls} body`;
