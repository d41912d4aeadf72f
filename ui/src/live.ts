/**
 * The console's data: the cloud and the analyzer's findings, refetched whenever
 * the server reports a change newer than the cloud shown (server-sent events).
 * Refetches coalesce: changes arriving during a fetch cause at most one more.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Finding } from '../../src/analysis/answers.js';
import { type Api, ApiError } from './api.js';
import type { Cloud } from './neutron.js';

export type Stream = 'connecting' | 'live' | 'reconnecting';

/**
 * The event stream's state, apart from the data: its changes re-render the
 * indicator that shows it, not the console (the stream connecting while a
 * thousand groups are being drawn would redo the page around them).
 */
export class StreamState {
  private readonly listeners = new Set<(s: Stream) => void>();
  value: Stream = 'connecting';

  set(s: Stream): void {
    this.value = s;
    for (const l of this.listeners) l(s);
  }

  subscribe(l: (s: Stream) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export function useStream(state: StreamState): Stream {
  const [s, setS] = useState(state.value);
  useEffect(() => {
    setS(state.value);
    return state.subscribe(setS);
  }, [state]);
  return s;
}

export interface LiveData {
  cloud?: Cloud;
  findings: Finding[];
  /** the analyzer failed while Neutron answered: the graph is drawn without findings */
  analysisError?: string;
  error?: string;
  updatedAt?: Date;
  /** counts fetches, so views holding their own answers (exposure) know to refetch */
  version: number;
  stream: StreamState;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface Fetched {
  cloud: Cloud;
  /** the change the cloud is as of */
  seq: number;
  findings: Finding[];
  /** the analyzer's failure: the graph is drawn without findings */
  analysisError: unknown;
}

async function fetchData(api: Api): Promise<Fetched> {
  const [cloud, analysis] = await Promise.all([
    api.cloud(),
    api.findings().then((findings) => ({ findings, error: undefined as unknown }), (e: unknown) => ({ findings: [] as Finding[], error: e })),
  ]);
  if (analysis.error instanceof ApiError && analysis.error.status === 401) throw analysis.error;
  return { ...cloud, findings: analysis.findings, analysisError: analysis.error };
}

/** The first fetch, when main.tsx starts it before the console's code has loaded. */
let early: { token: string; data: Promise<Fetched> } | undefined;

export function prefetch(api: Api): void {
  const data = fetchData(api);
  // a failure is the business of whoever takes it, not an unhandled rejection meanwhile
  data.catch(() => undefined);
  early = { token: api.token, data };
}

/** The early fetch, if it was made with this session's token; it is taken once. */
function takeEarly(api: Api): Promise<Fetched> | undefined {
  const taken = early?.token === api.token ? early.data : undefined;
  early = undefined;
  return taken;
}

export function useLiveData(api: Api, onUnauthorized: () => void): LiveData {
  const [stream] = useState(() => new StreamState());
  const [data, setData] = useState<Omit<LiveData, 'stream'>>({ findings: [], version: 0 });

  useEffect(() => {
    let stopped = false;
    let running = false;
    let first = true;
    /** the latest change the server announced, and the one the cloud shown is as of */
    let announced = 0;
    let shown = -1;

    async function fetchOnce(): Promise<void> {
      const { cloud, seq, findings, analysisError } = await ((first && takeEarly(api)) || fetchData(api));
      if (stopped) return;
      if (first) performance.mark('portsec:data');
      first = false;
      shown = seq;
      setData((d) => ({
        ...d, cloud, findings, analysisError: analysisError === undefined ? undefined : message(analysisError),
        error: undefined, updatedAt: new Date(), version: d.version + 1,
      }));
    }

    async function load(): Promise<void> {
      // a fetch under way fetches again when it ends if the server has moved on meanwhile
      if (running) return;
      running = true;
      try {
        do await fetchOnce();
        while (!stopped && announced > shown);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          stopped = true;
          onUnauthorized();
        } else if (!stopped) setData((d) => ({ ...d, error: message(e) }));
      }
      running = false;
    }

    void load();
    const events = api.events();
    // a change, or a reconnect's hello after changes missed
    const onSeq = (e: MessageEvent<string>) => {
      announced = Math.max(announced, (JSON.parse(e.data) as { seq: number }).seq);
      if (announced > shown) void load();
    };
    events.addEventListener('hello', onSeq);
    events.addEventListener('change', onSeq);
    events.onopen = () => stream.set('live');
    events.onerror = () => stream.set('reconnecting');
    return () => {
      stopped = true;
      events.close();
    };
  }, [api]);

  return { ...data, stream };
}
