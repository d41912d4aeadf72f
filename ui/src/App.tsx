/** The console: login, then the graph, findings, can-reach, exposure and migration views over live data, each port under its own firewall or one forced on all. */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { BACKEND_SEMANTICS, isNeutronBackend, NEUTRON_BACKENDS, type NeutronBackend } from '../../src/policy/neutron-backends.js';
import { Api } from './api.js';
import { CloudIndex } from './cloud-index.js';
import { startsOpen } from './graph/clusters.js';
import { graphElements, type Ref } from './graph/elements.js';
import { marksOf } from './graph/marks.js';
import { type StreamState, useLiveData, useStream } from './live.js';
import { forgetSession, savedSession, type Session } from './session.js';
import { type DetailActions } from './views/Details.js';
import { ExposureView } from './views/Exposure.js';
import { FindingsView } from './views/Findings.js';
import { GraphView } from './views/GraphView.js';
import { Login } from './views/Login.js';
import { MigrationView } from './views/Migration.js';
import { ApiContext } from './views/ProvenFixes.js';
import { emptyReach, type ReachForm, reachForm, ReachView } from './views/Reach.js';
import { panelId, tabId, Tabs } from './views/Tabs.js';

type Tab = 'graph' | 'findings' | 'reach' | 'exposure' | 'migration';

/**
 * Up to this many port appearances every group starts expanded; above it groups
 * start collapsed (their ports summarised on them) and open when selected: a
 * thousand compound nodes neither lay out nor draw within the 2 s the console has.
 */
const EXPAND_ALL = 600;

/** the Firewall choice that forces nothing */
const PER_PORT = '';

export function App() {
  const [session, setSession] = useState<Session | undefined>(savedSession);
  const [notice, setNotice] = useState<string>();
  const logout = useCallback((why?: string) => {
    forgetSession();
    setNotice(why);
    setSession(undefined);
  }, []);
  if (!session) return <Login onLogin={setSession} notice={notice} />;
  return <Console key={session.token} session={session} logout={logout} />;
}

function StreamStatus({ state, updatedAt }: { state: StreamState; updatedAt?: Date }) {
  const stream = useStream(state);
  return (
    <span class={`stream stream-${stream}`} role="status" data-stream={stream}>
      {stream === 'live' ? '● live' : stream === 'connecting' ? 'connecting…' : 'reconnecting…'}
      {updatedAt && ` · updated ${updatedAt.toLocaleTimeString()}`}
    </span>
  );
}

function Console({ session, logout }: { session: Session; logout: (why?: string) => void }) {
  // undefined: each port's own firewall, as the server found it; else the one forced on every port.
  // A new client refetches the findings and the views' answers
  const [backend, setBackend] = useState<NeutronBackend>();
  const api = useMemo(() => new Api(session.token, backend), [session, backend]);
  const data = useLiveData(api, () => logout(session.readOnly ? 'This console\'s server has stopped or restarted: open the URL `portsec console` printed.' : 'Your session has ended: log in again.'));
  const [tab, setTab] = useState<Tab>('graph');
  const [selected, setSelected] = useState<Ref>();
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  const [reach, setReach] = useState<ReachForm>(emptyReach);
  const [exposureFilter, setExposureFilter] = useState('');
  /** the finding a link asked for, shown in the Findings tab */
  const [focusFinding, setFocusFinding] = useState<string>();

  const index = useMemo(() => data.cloud && new CloudIndex(data.cloud), [data.cloud]);
  const marks = useMemo(() => marksOf(data.findings), [data.findings]);
  const elements = useMemo(() => {
    if (!index) return undefined;
    const appearances = index.cloud.ports.reduce((n, p) => n + p.security_groups.length, 0);
    return graphElements({
      cloud: index.cloud, members: index.members, edges: index.edges.values(), marks, short: (id) => index.shortName(id), clusters: index.clusters,
      expanded: (g) => appearances <= EXPAND_ALL || opened.has(g), open: (node) => opened.has(node) || (!!index.clusters && startsOpen(index.clusters, node)),
    });
  }, [index, marks, opened]);

  // what a selection lives in opens: its groups, and in a large cloud their cluster and project
  const select = useCallback((r: Ref | undefined) => {
    setSelected(r);
    const inside = r && index ? [...index.groupsOf(r), ...index.containersOf(r)] : [];
    if (inside.some((g) => !opened.has(g))) setOpened(new Set([...opened, ...inside]));
  }, [index, opened]);

  const act: DetailActions = {
    show: (r) => {
      setTab('graph');
      select(r);
    },
    traceTo: (dst) => {
      setReach({ ...reach, dst });
      setTab('reach');
    },
    traceFrom: (src) => {
      setReach({ ...reach, src });
      setTab('reach');
    },
    finding: (id) => {
      setFocusFinding(id);
      setTab('findings');
    },
    exposureOf: (port) => {
      setExposureFilter(port);
      setTab('exposure');
    },
  };

  const tabs = [
    { id: 'graph' as const, label: 'Graph' },
    { id: 'findings' as const, label: `Findings (${data.findings.length})` },
    { id: 'reach' as const, label: 'Can reach?' },
    { id: 'exposure' as const, label: 'Exposure' },
    { id: 'migration' as const, label: 'Migration' },
  ];
  const panel = (id: Tab) => ({ role: 'tabpanel' as const, id: panelId(id), 'aria-labelledby': tabId(id), hidden: tab !== id, class: `panel panel-${id}` });

  return (
    <ApiContext.Provider value={api}>
    <div class="console">
      <header class="top">
        <h1>portsec console</h1>
        <span class="who">{session.readOnly ? `read-only · ${session.project}` : `${session.user} · project ${session.project}${session.isAdmin ? ' (admin: all projects)' : ''}`}</span>
        <label class="backend">Firewall
          <select name="backend" value={backend ?? PER_PORT} onChange={(e) => setBackend(isNeutronBackend(e.currentTarget.value) ? e.currentTarget.value : undefined)}>
            <option value={PER_PORT}>as the cloud runs it (per port)</option>
            {NEUTRON_BACKENDS.map((b) => <option key={b} value={b}>{BACKEND_SEMANTICS[b].label}</option>)}
          </select>
        </label>
        <StreamStatus state={data.stream} updatedAt={data.updatedAt} />
        {!session.readOnly && <button type="button" onClick={() => logout()}>Log out</button>}
      </header>
      {data.error && <p class="error banner" role="alert">{data.error}</p>}
      {data.analysisError && <p class="error banner" role="alert">The analyzer did not answer ({data.analysisError}): the graph shows no findings.</p>}
      <Tabs tabs={tabs} current={tab} onChange={setTab} />
      <main>
        {/* the graph is there while the cloud loads: cytoscape is ready (and has drawn once) when the elements come */}
        <div {...panel('graph')}>
          <GraphView index={index} marks={marks} findings={data.findings} elements={elements} selected={selected} act={act} select={select}
            visible={tab === 'graph'} onReady={() => performance.mark('portsec:graph')} />
        </div>
        {index && tab === 'findings' && <div {...panel('findings')}><FindingsView findings={data.findings} error={data.analysisError} index={index} nav={act} focus={focusFinding} /></div>}
        {index && tab === 'reach' && <div {...panel('reach')}><ReachView api={api} index={index} marks={marks} nav={act} form={reach} setForm={setReach} /></div>}
        {index && tab === 'exposure' && (
          <div {...panel('exposure')}>
            <ExposureView api={api} index={index} marks={marks} nav={act} version={data.version} filter={exposureFilter} setFilter={setExposureFilter} />
          </div>
        )}
        {index && tab === 'migration' && <div {...panel('migration')}><MigrationView api={api} index={index} nav={act} version={data.version} trace={(flow) => {
          setReach(reachForm(flow));
          setTab('reach');
        }} /></div>}
      </main>
    </div>
    </ApiContext.Provider>
  );
}
