/**
 * The analyzer's commands: `portsec can-reach`, `portsec exposure` and
 * `portsec audit`, over any input (this server's database, a live cloud, JSON
 * dumps), with the openstack CLI's output formats plus SARIF and Markdown.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import { type DiffRow, type ExposureRow, type Finding, type ReachAnswer, type ReachQuery, type ReachStep, type ServiceAnswer, type Severity, SEVERITIES } from '../analysis/answers.js';
import { audit, CHECK_ALIASES, CHECK_NAMES } from '../analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { buildCloud, type Cloud, portLabel } from '../analysis/cloud.js';
import { exposure, exposureOfPorts, exposureRows } from '../analysis/exposure.js';
import { exposureLines } from '../analysis/report/exposure-lines.js';
import { diff } from '../analysis/diff.js';
import { canReach, canReachEach, perService } from '../analysis/reach.js';
import { type Snapshot } from '../analysis/snapshot.js';
import { auditBackends, type BackendUse, backendLine, backendLines, diffSideSentences, explained, explainedDiff, headline, plainText, reachBackendLines, refLabel, sourcePhrase, sourcesText, stepSentences } from '../analysis/report/explain.js';
import { diffMarkdown, markdown, reachMarkdown } from '../analysis/report/markdown.js';
import { diffFindings, MAX_RESULTS, SARIF_LIMITS, writeSarifTo } from '../analysis/report/sarif.js';
import { fixLines } from '../analysis/report/fix-text.js';
import { withFixes } from '../analysis/fix/prove.js';
import { type Column, tabulate } from '../analysis/report/table.js';
import { InputError } from '../analysis/sources/errors.js';
import { writeBaseline } from '../analysis/triage/baseline.js';
import { failsOn, triage, triageOptions } from '../analysis/triage/triage.js';
import { DEFAULT_NEUTRON_BACKEND, NEUTRON_BACKENDS, type NeutronBackend } from '../policy/neutron-backends.js';
import { type CompileOptions } from '../policy/topology.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';
import { addInputOptions, type InputOptions, readSnapshot } from './input-options.js';
import { addOutputOptions, emit, type OutputOptions, rowsText } from './output.js';
import { jsonArray, streamOut } from './stream-out.js';

/** The answer whole, beside the rows: what the HTTP API returns for the same question. */
const RAW = { raw: 'the whole answer as JSON, as the HTTP API returns it (every field, ids and typed reasons: for programs)' };
const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

export interface Common extends InputOptions, OutputOptions {
  ipset: 'on' | 'off';
  omitWidePairs?: CompileOptions['omitWidePairs'];
  backend?: NeutronBackend;
}

export function integer(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

export function common(cmd: Command, formats: Record<string, string>): Command {
  return addOutputOptions(addExpansionOption(addInputOptions(cmd)), formats)
    .addOption(new Option('--backend <name>', `the firewall every node runs: what a remote group stands for depends on it (iptables, iptables_hybrid: fixed IPs and every pair; openvswitch: a /0 pair only from its MAC; ovn: fixed IPs only); default: each port's as its binding and the agents show it (as admin), else ${DEFAULT_NEUTRON_BACKEND}`).choices(NEUTRON_BACKENDS))
    .addOption(new Option('--ipset <on|off>', 'whether the compute nodes use ipsets (without, a port\'s own addresses are left out of its remote groups; iptables backends only)').choices(['on', 'off']).default('on'));
}

/** The snapshot as the cloud runs it: under one backend, or without, each port's node running what the snapshot found for it. */
export function cloudOf(snapshot: Snapshot, o: Common, backend: NeutronBackend | undefined = o.backend): Cloud {
  return buildCloud(snapshot, { ...(backend && { backend }), enableIpset: o.ipset === 'on', ...expansionOverrides(o) });
}

/** `asRead`: a dump's ports and rules are checked as the question reads them (can-reach; bench/audit), else all first. */
const loadCloud = async (cmd: Command, o: Common, asRead = false): Promise<Cloud> => cloudOf(await readSnapshot(cmd, process.env, asRead), o);

/** The table's lines saying which firewall its verdicts assume, per port (raw JSON carries them as fields; row formats stay parseable). */
const tableBackend = (cloud: Cloud, uses: BackendUse[]): string[] =>
  backendLines(uses, cloud.topology.options.backend, cloud.snapshot.backends?.agents);

/** Each port's backend, where the answer is about these ports. */
const portUses = (cloud: Cloud, ids: Iterable<string>): BackendUse[] =>
  [...new Set(ids)].map((id) => ({ ...cloud.backendAt(id), where: portLabel(cloud.ports.get(id)!) }));

type ReachRow = { n: number; step: ReachStep } | { change: ReachAnswer['changes'][number] };

const REACH_COLUMNS: Column<ReachRow>[] = [
  { name: 'Step', cell: (r) => ('step' in r ? r.n : '') },
  { name: 'Stage', cell: (r) => ('step' in r ? r.step.stage : 'change') },
  { name: 'Result', cell: (r) => ('step' in r ? (r.step.ok ? 'ok' : 'BLOCKED') : 'needed') },
  { name: 'Explanation', cell: (r) => ('step' in r ? stepSentences(r.step).map(plainText).join('\n') : `${r.change.why}:\n${r.change.command}`) },
];

const reachRows = (a: ReachAnswer): ReachRow[] => [...a.steps.map((step, i) => ({ n: i + 1, step })), ...a.changes.map((change) => ({ change }))];

/** The steps that decided an answer: where it was let in (or out of the cloud), or every one that blocked it. */
const decisive = (a: ReachAnswer): ReachStep[] => (a.verdict === 'ALLOW' ? a.steps.filter((s) => s.stage === 'ingress' || s.stage === 'exit') : a.steps.filter((s) => !s.ok));

const SERVICE_COLUMNS: Column<ServiceAnswer>[] = [
  { name: 'Service', cell: (s) => s.service },
  { name: 'Result', cell: (s) => s.answer.verdict },
  { name: 'Why', cell: (s) => decisive(s.answer).flatMap(stepSentences).map(plainText).join('\n') },
  { name: 'Change', cell: (s) => s.answer.changes.map((c) => c.command).join('\n') },
];

/** can-reach without --port: a row per service (JSON: each answer whole, with its service). */
function serviceAnswers(each: ServiceAnswer[], o: Common, cloud: Cloud): string {
  if (o.format === 'raw') return JSON.stringify(each.map((s) => ({ service: s.service, ...explained(s.answer) })), null, 2);
  if (o.format === 'markdown') return each.map((s) => reachMarkdown(s.answer)).join('\n');
  const [first] = each;
  return rowsText(o, tabulate(SERVICE_COLUMNS, each), {
    before: [`${first.answer.query.src} -> ${first.answer.query.dst} ${first.answer.query.protocol}, per service the rules tell apart:`, ...reachBackendLines(first.answer, cloud.snapshot.backends?.agents)],
  });
}

const FINDING_COLUMNS: Column<Finding>[] = [
  { name: 'ID', cell: (f) => f.id },
  { name: 'Severity', cell: (f) => f.severity },
  { name: 'Check', cell: (f) => f.check },
  { name: 'Backend', cell: (f) => f.backend ?? '' },
  { name: 'Finding', cell: (f) => [f.title, ...f.evidence.map((e) => `- ${e}`), ...Object.entries(f.backends ?? {}).map(([b, t]) => `* ${b}: ${t}`)].join('\n') },
  { name: 'Fix', cell: (f) => fixLines(f).join('\n') },
  { name: 'Derived', cell: (f) => (f.rootCause ? `from ${f.rootCause}` : String(f.derived?.length ?? '')) },
];

const EXPOSURE_COLUMNS: Column<ExposureRow>[] = [
  { name: 'Port', cell: (r) => r.port.name ?? r.port.id },
  { name: 'Ethertype', cell: (r) => r.ethertype },
  { name: 'Protocol', cell: (r) => r.protocol },
  { name: 'Ports', cell: (r) => r.ports },
  { name: 'Allowed sources', cell: (r) => r.sources.join('\n') },
  { name: 'From', cell: (r) => r.origins.map((x) => plainText(sourcePhrase(x))).join('\n') },
];

const DIFF_COLUMNS = (from: NeutronBackend, to: NeutronBackend): Column<DiffRow>[] => [
  { name: 'Destination', cell: (r) => `${r.destination.ports.map(refLabel).join(', ')}\n${r.destination.address}` },
  { name: 'Service', cell: (r) => `${r.ethertype} ${r.protocol}${r.ports === 'any' ? '' : `/${r.ports}`}` },
  { name: 'Sent by', cell: (r) => r.senders.map(refLabel).join('\n') },
  { name: 'Sources', cell: (r) => sourcesText(r).split(', ').join('\n') },
  ...([['from', from], ['to', to]] as const).map(([w, b]): Column<DiffRow> => ({ name: b, cell: (r) => [r[w].verdict, ...diffSideSentences(r, w).map(plainText)].join('\n') })),
];

/** A progress line on standard error, only for people watching. */
function progress(label: string): ((name: string, i: number, n: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (name, i, n) => {
    const done = Math.round(((i + 1) / n) * 20);
    process.stderr.write(`\r${label} [${'#'.repeat(done)}${' '.repeat(20 - done)}] ${i + 1}/${n} ${name.padEnd(20)}${i + 1 === n ? '\n' : ''}`);
  };
}

export interface AuditFlags {
  widePairPrefix?: number;
  widePairPrefix6?: number;
  adminPorts: string;
}

/** What the audit calls wide and sensitive: `portsec audit` and `portsec fix` judge alike. */
export function addAuditOptions(cmd: Command): Command {
  return cmd
    .option('--wide-pair-prefix <len>', 'an IPv4 pair is wide at this prefix length or shorter (default: when wider than its port\'s subnet, as the guard judges)', integer('--wide-pair-prefix', 0, 32))
    .option('--wide-pair-prefix6 <len>', 'the same for IPv6 pairs', integer('--wide-pair-prefix6', 0, 128))
    .option('--admin-ports <list>', 'ports never to open to the world', DEFAULT_AUDIT_OPTIONS.adminPorts.join(','));
}

export const auditOptionsOf = (o: AuditFlags): AuditOptions => ({
  widePair: { IPv4: o.widePairPrefix ?? DEFAULT_AUDIT_OPTIONS.widePair.IPv4, IPv6: o.widePairPrefix6 ?? DEFAULT_AUDIT_OPTIONS.widePair.IPv6 },
  adminPorts: o.adminPorts.split(',').map((p) => integer('--admin-ports', 1, 65535)(p.trim())),
});

export function analyzeCommands(program: Command): void {
  common(program.command('diff')
    .description('migration impact: every flow class (destination, service, sources and the port sending them) whose verdict changes from --backend to --to-backend, with the rule and the reason on each side')
    .addOption(new Option('--to-backend <name>', 'the firewall the cloud moves to').choices(NEUTRON_BACKENDS).makeOptionMandatory()), { ...RAW, markdown: 'a report', sarif: 'each row as a SARIF result' })
    .action(async (o: Common & { toBackend: NeutronBackend }, cmd: Command) => {
      if (!o.backend) fail(`diff needs --backend, the firewall the cloud runs now (one of ${NEUTRON_BACKENDS.join(', ')})`);
      const backend = o.backend;
      const snapshot = await readSnapshot(cmd);
      const rows = diff(cloudOf(snapshot, o), cloudOf(snapshot, o, o.toBackend));
      if (o.format === 'raw') return emit(o, JSON.stringify({ backend, to_backend: o.toBackend, rows: explainedDiff(rows) }, null, 2));
      if (o.format === 'markdown') return emit(o, diffMarkdown(rows, snapshot.source, backend, o.toBackend));
      if (o.format === 'sarif') return void await writeSarifTo(o.output, { findings: diffFindings(rows), source: snapshot.source, version, run: { diff: { backend, to_backend: o.toBackend } } });
      emit(o, rowsText(o, tabulate(DIFF_COLUMNS(backend, o.toBackend), rows), { empty: 'no flow changes verdict', after: [`from ${backendLine(backend)}`, `to ${backendLine(o.toBackend)}`] }));
    });

  common(program.command('can-reach')
    .description('whether a new flow from SRC reaches DST, with every reason: anti-spoofing, egress and ingress rules, remote-group members')
    .argument('<src>', 'port id or name, instance id or name (servers.json in a dump), or IP address (outside the cloud too)')
    .argument('<dst>', 'port id or name, instance id or name, or IP address (of a port, or outside the cloud: egress to the Internet)')
    .requiredOption('--protocol <protocol>', 'tcp, udp, icmp, a protocol name or number')
    .option('--port <port>', 'destination port (ICMP: type); default: a row per port range (ICMP type) the rules name, and one for any other', integer('--port', 0, 65535))
    .option('--source-port <port>', 'source port (ICMP: code); default: an ephemeral port', integer('--source-port', 0, 65535))
    .option('--source-ip <ip>', 'with SRC a port: the address it sends from (a VIP, forwarded or spoofed traffic); default its fixed IP')
    .option('--source-mac <mac>', 'with SRC a port: the frame\'s source MAC (an allowed-address pair\'s own MAC); default the port\'s')
    .option('--destination-ip <ip>', 'with DST a port: the address the packet is sent to (one it does not hold, broadcast, multicast); default its fixed IP'), { ...RAW, markdown: 'a report' })
    .action(async (src: string, dst: string, o: Common & { protocol: string; port?: number; sourcePort?: number; sourceIp?: string; sourceMac?: string; destinationIp?: string }, cmd: Command) => {
      const cloud = await loadCloud(cmd, o, true);
      const q: ReachQuery = { src, dst, protocol: o.protocol, port: o.port, sourcePort: o.sourcePort, sourceIp: o.sourceIp, sourceMac: o.sourceMac, destinationIp: o.destinationIp };
      if (perService(q)) return emit(o, serviceAnswers(canReachEach(cloud, q), o, cloud));
      const answer = canReach(cloud, q);
      if (o.format === 'raw') return emit(o, JSON.stringify(explained(answer), null, 2));
      if (o.format === 'markdown') return emit(o, reachMarkdown(answer));
      emit(o, rowsText(o, tabulate(REACH_COLUMNS, reachRows(answer)), { before: [headline(answer), ...reachBackendLines(answer, cloud.snapshot.backends?.agents)] }));
    });

  common(program.command('exposure')
    .description('for each port and service, the sources its ingress rules admit, as the fewest CIDRs, and where each comes from')
    .argument('[ports...]', 'port ids or names (default: every port)')
    .option('--members', 'list each remote-group member a source comes from (default: each rule, its group\'s members counted)'), RAW)
    .action(async (names: string[], o: Common & { members?: boolean }, cmd: Command) => {
      const cloud = await loadCloud(cmd, o);
      const ports = names.length ? names.map((n) => cloud.ports.get(n) ?? cloud.snapshot.ports.find((p) => p.name === n) ?? fail(`no port has id or name ${n}`)) : undefined;
      const options = { members: o.members };
      // written row by row: a boxed table needs every row for its widths, the other formats do not
      if (o.format === 'raw') {
        return streamOut(o.output, async (sink) => {
          for (const text of exposureLines(exposureOfPorts(cloud, ports, options), { members: !!o.members })) await sink.put(text);
        });
      }
      // value rows need no widths; sorted ones need every row first
      if (o.format === 'value' && !o.sortColumn) {
        return streamOut(o.output, async (sink) => {
          for (const r of exposureRows(cloud, ports, options)) await sink.put(`${rowsText(o, tabulate(EXPOSURE_COLUMNS, [r]))}\n`);
        });
      }
      const rows = exposure(cloud, ports, options);
      emit(o, rowsText(o, tabulate(EXPOSURE_COLUMNS, rows), { after: tableBackend(cloud, portUses(cloud, rows.map((r) => r.port.id))) }));
    });

  common(addAuditOptions(program.command('audit')
    .description('find AAP and security-group mistakes: wide pairs in remote groups (the NAT/VIP pitfall), VIP pairs, port security, redundant rules, empty remote groups, admin ports open to the world, unused groups')
    .addOption(new Option('--check <id...>', `run only these checks, by the id the Check column prints (${CHECK_NAMES.join(', ')}); each of ${CHECK_ALIASES.join(', ')} stands for its group of checks`).choices([...CHECK_NAMES, ...CHECK_ALIASES]))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a reported finding is this severe or more').choices(SEVERITIES))
    .addOption(new Option('--min-severity <severity>', 'report only findings this severe or more').choices(SEVERITIES))
    .option('--baseline <file>', 'leave out the findings whose ids the file lists (written by --write-baseline)')
    .option('--write-baseline <file>', 'write every finding\'s id to the file, for --baseline')
    .option('--suppressions <file>', 'YAML or JSON: findings to leave out, each by id or by check and object, with a reason and an optional expiry date; SARIF carries them as suppressed results')
    .option('--show-derived', 'list the findings that follow from a root cause beside it, not folded under it')
    .option('--sarif-max-results <n>', `results per SARIF run (GitHub code scanning shows ${SARIF_LIMITS.results})`, integer('--sarif-max-results', 1, MAX_RESULTS), SARIF_LIMITS.results)
    .option('--fixes', 'prove each reported finding\'s fixes on the snapshot and show those that open nothing and remove it (slower: one re-audit per fix)')), { ...RAW, sarif: 'SARIF 2.1.0 for code scanning', markdown: 'a report' })
    .action(async (o: Common & AuditFlags & { check?: string[]; failOn?: Severity; minSeverity?: Severity; baseline?: string; writeBaseline?: string; suppressions?: string; showDerived?: boolean; sarifMaxResults: number; fixes?: boolean }, cmd: Command) => {
      // the whole answer lists every reported finding, each derived one with its rootCause
      const triaged = triageOptions({ ...o, showDerived: o.showDerived || o.format === 'raw' });
      const cloud = await loadCloud(cmd, o);
      const options = auditOptionsOf(o);
      const findings = audit(cloud, options, progress('auditing'), o.check);
      const triagedFindings = triage(findings, triaged);
      // proven on demand, for the reported findings only
      const t = o.fixes ? { ...triagedFindings, shown: withFixes(cloud, triagedFindings.shown, options) } : triagedFindings;
      if (o.writeBaseline) writeBaseline(o.writeBaseline, findings, cloud.snapshot.source);
      const filtered = cloud.snapshot.ports.filter((p) => cloud.kind(p.id) === 'filtered').map((p) => p.id);
      const used = () => auditBackends(findings, filtered.map((id) => cloud.backendAt(id).backend), cloud.topology.options.backend);
      if (o.format === 'sarif') await writeSarifTo(o.output, { findings: t.shown, suppressed: t.suppressed, summary: t.summary, source: cloud.snapshot.source, version, run: { audit: used() } }, { ...SARIF_LIMITS, results: o.sarifMaxResults });
      else if (o.format === 'markdown') emit(o, markdown(t.shown, cloud.snapshot.source, used(), t.summary));
      // streamed: at 100,000 ports the findings are hundreds of MB as text (bench/audit)
      else if (o.format === 'raw') await streamOut(o.output, (sink) => jsonArray(sink, t.shown));
      else emit(o, rowsText(o, tabulate(FINDING_COLUMNS, t.shown), { empty: 'no findings', after: [...t.summary, ...tableBackend(cloud, portUses(cloud, filtered))] }));
      // what was left out, where it cannot break a parseable answer
      if (!['table', 'markdown', 'sarif'].includes(o.format) && t.summary.length) process.stderr.write(`${t.summary.join('\n')}\n`);
      if (o.failOn && failsOn(t, o.failOn)) process.exitCode = 1;
    });
}

export function fail(message: string): never {
  throw new InputError(message);
}
