/**
 * The console's data: the cloud from Neutron's API and the analyzer's findings,
 * refetched whenever the server reports a change (server-sent events). Refetches
 * coalesce: changes arriving during a fetch cause exactly one more.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Finding } from '../../src/analysis/answers.js';
import { type Api, ApiError } from './api.js';
import type { Cloud } from './neutron.js';

export interface LiveData {
  cloud?: Cloud;
  findings: Finding[];
  /** the analyzer failed while Neutron answered: the graph is drawn without findings */
  analysisError?: string;
  error?: string;
  updatedAt?: Date;
  /** counts fetches, so views holding their own answers (exposure) know to refetch */
  version: number;
  stream: 'connecting' | 'live' | 'reconnecting';
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function useLiveData(api: Api, onUnauthorized: () => void): LiveData {
  const [data, setData] = useState<LiveData>({ findings: [], version: 0, stream: 'connecting' });

  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let first = true;
    let seq: number | undefined;

    async function fetchOnce(): Promise<void> {
      const [cloud, analysis] = await Promise.all([
        api.cloud(),
        api.findings().then((findings) => ({ findings, error: undefined as unknown }), (e: unknown) => ({ findings: [] as Finding[], error: e })),
      ]);
      if (analysis.error instanceof ApiError && analysis.error.status === 401) throw analysis.error;
      if (stopped) return;
      if (first) performance.mark('portsec:data');
      first = false;
      setData((d) => ({
        ...d, cloud, findings: analysis.findings, analysisError: analysis.error === undefined ? undefined : message(analysis.error),
        error: undefined, updatedAt: new Date(), version: d.version + 1,
      }));
    }

    async function load(): Promise<void> {
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        try {
          await fetchOnce();
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) {
            stopped = true;
            onUnauthorized();
          } else if (!stopped) setData((d) => ({ ...d, error: message(e) }));
        }
      } while (again && !stopped);
      running = false;
    }

    void load();
    const events = api.events();
    const onSeq = (e: MessageEvent<string>, always: boolean) => {
      const next = (JSON.parse(e.data) as { seq: number }).seq;
      // a reconnect's hello after missed changes also needs a refetch
      if (always || (seq !== undefined && next !== seq)) void load();
      seq = next;
    };
    events.addEventListener('hello', (e) => onSeq(e, false));
    events.addEventListener('change', (e) => onSeq(e, true));
    events.onopen = () => setData((d) => ({ ...d, stream: 'live' }));
    events.onerror = () => setData((d) => ({ ...d, stream: 'reconnecting' }));
    return () => {
      stopped = true;
      events.close();
    };
  }, [api]);

  return data;
}
