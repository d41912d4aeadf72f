/**
 * The analyzer's commands: `portsec can-reach`, `portsec exposure` and
 * `portsec audit`, over any input (this server's database, a live cloud, JSON
 * dumps), with the openstack CLI's output formats plus SARIF and Markdown.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type DiffRow, type ExposureRow, type Finding, type ReachAnswer, type ReachStep, type Severity, SEVERITIES } from '../analysis/answers.js';
import { audit, CHECKS } from '../analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../analysis/audit/options.js';
import { buildCloud, type Cloud, portLabel } from '../analysis/cloud.js';
import { exposure, exposureRows } from '../analysis/exposure.js';
import { diff } from '../analysis/diff.js';
import { canReach } from '../analysis/reach.js';
import { type Snapshot } from '../analysis/snapshot.js';
import { auditBackends, type BackendUse, backendLine, backendLines, diffSideSentences, explained, explainedDiff, explainedExposure, headline, plainText, reachBackendLines, refLabel, sourcePhrase, sourcesText, stepSentences } from '../analysis/report/explain.js';
import { diffMarkdown, markdown, reachMarkdown } from '../analysis/report/markdown.js';
import { diffFindings, sarif } from '../analysis/report/sarif.js';
import { type Column, formatRows, type RowFormat, tabulate } from '../analysis/report/table.js';
import { InputError } from '../analysis/sources/errors.js';
import { DEFAULT_NEUTRON_BACKEND, NEUTRON_BACKENDS, type NeutronBackend } from '../policy/neutron-backends.js';
import { type CompileOptions } from '../policy/topology.js';
import { addExpansionOption, expansionOverrides } from './expansion-option.js';
import { addInputOptions, type InputOptions, readSnapshot } from './input-options.js';
import { jsonArray, streamOut } from './stream-out.js';

const ROW_FORMATS: RowFormat[] = ['table', 'json', 'yaml', 'value'];
const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

interface Common extends InputOptions {
  format: string;
  ipset: 'on' | 'off';
  output?: string;
  omitWidePairs?: CompileOptions['omitWidePairs'];
  backend?: NeutronBackend;
}

function integer(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function common(cmd: Command, formats: string[]): Command {
  return addExpansionOption(addInputOptions(cmd))
    .addOption(new Option('-f, --format <format>', 'output format').choices(formats).default('table'))
    .addOption(new Option('--backend <name>', `the firewall every node runs: what a remote group stands for depends on it (iptables, iptables_hybrid: fixed IPs and every pair; openvswitch: a /0 pair only from its MAC; ovn: fixed IPs only); default: each port's as its binding and the agents show it (as admin), else ${DEFAULT_NEUTRON_BACKEND}`).choices(NEUTRON_BACKENDS))
    .addOption(new Option('--ipset <on|off>', 'whether the compute nodes use ipsets (without, a port\'s own addresses are left out of its remote groups; iptables backends only)').choices(['on', 'off']).default('on'))
    .option('-o, --output <file>', 'write the answer to a file instead of standard output');
}

/** The snapshot as the cloud runs it: under one backend, or without, each port's node running what the snapshot found for it. */
function cloudOf(snapshot: Snapshot, o: Common, backend: NeutronBackend | undefined = o.backend): Cloud {
  return buildCloud(snapshot, { ...(backend && { backend }), enableIpset: o.ipset === 'on', ...expansionOverrides(o) });
}

const loadCloud = async (cmd: Command, o: Common): Promise<Cloud> => cloudOf(await readSnapshot(cmd), o);

function emit(o: Common, text: string): void {
  const out = text.endsWith('\n') || text === '' ? text : `${text}\n`;
  if (o.output) writeFileSync(o.output, out);
  else process.stdout.write(out);
}

/** The table's lines saying which firewall its verdicts assume, per port (JSON carries them as fields; YAML and values stay parseable). */
const tableBackend = (o: Common, cloud: Cloud, uses: BackendUse[]): string[] =>
  (o.format === 'table' ? backendLines(uses, cloud.topology.options.backend, cloud.snapshot.backends?.agents) : []);

/** Each port's backend, where the answer is about these ports. */
const portUses = (cloud: Cloud, ids: Iterable<string>): BackendUse[] =>
  [...new Set(ids)].map((id) => ({ ...cloud.backendAt(id), where: portLabel(cloud.ports.get(id)!) }));

type ReachRow = { n: number; step: ReachStep } | { change: ReachAnswer['changes'][number] };

const REACH_COLUMNS: Column<ReachRow>[] = [
  { name: 'Step', cell: (r) => ('step' in r ? String(r.n) : '') },
  { name: 'Stage', cell: (r) => ('step' in r ? r.step.stage : 'change') },
  { name: 'Result', cell: (r) => ('step' in r ? (r.step.ok ? 'ok' : 'BLOCKED') : 'needed') },
  { name: 'Explanation', cell: (r) => ('step' in r ? stepSentences(r.step).map(plainText).join('\n') : `${r.change.why}:\n${r.change.command}`) },
];

const reachRows = (a: ReachAnswer): ReachRow[] => [...a.steps.map((step, i) => ({ n: i + 1, step })), ...a.changes.map((change) => ({ change }))];

const FINDING_COLUMNS: Column<Finding>[] = [
  { name: 'Severity', cell: (f) => f.severity },
  { name: 'Check', cell: (f) => f.check },
  { name: 'Backend', cell: (f) => f.backend ?? '' },
  { name: 'Finding', cell: (f) => [f.title, ...f.evidence.map((e) => `- ${e}`), ...Object.entries(f.backends ?? {}).map(([b, t]) => `* ${b}: ${t}`)].join('\n') },
  { name: 'Fix', cell: (f) => f.fix.join('\n') },
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

export function analyzeCommands(program: Command): void {
  common(program.command('diff')
    .description('migration impact: every flow class (destination, service, sources and the port sending them) whose verdict changes from --backend to --to-backend, with the rule and the reason on each side')
    .addOption(new Option('--to-backend <name>', 'the firewall the cloud moves to').choices(NEUTRON_BACKENDS).makeOptionMandatory()), [...ROW_FORMATS, 'markdown', 'sarif'])
    .action(async (o: Common & { toBackend: NeutronBackend }, cmd: Command) => {
      if (!o.backend) fail(`diff needs --backend, the firewall the cloud runs now (one of ${NEUTRON_BACKENDS.join(', ')})`);
      const backend = o.backend;
      const snapshot = await readSnapshot(cmd);
      const rows = diff(cloudOf(snapshot, o), cloudOf(snapshot, o, o.toBackend));
      if (o.format === 'json') return emit(o, JSON.stringify({ backend, to_backend: o.toBackend, rows: explainedDiff(rows) }, null, 2));
      if (o.format === 'markdown') return emit(o, diffMarkdown(rows, snapshot.source, backend, o.toBackend));
      if (o.format === 'sarif') return emit(o, JSON.stringify(sarif(diffFindings(rows), snapshot.source, version, { diff: { backend, to_backend: o.toBackend } }), null, 2));
      const lines = o.format === 'table' ? [`from ${backendLine(backend)}`, `to ${backendLine(o.toBackend)}`] : [];
      emit(o, [formatRows(tabulate(DIFF_COLUMNS(backend, o.toBackend), rows), o.format as RowFormat) || (o.format === 'table' ? 'no flow changes verdict' : ''), ...lines].join('\n'));
    });

  common(program.command('can-reach')
    .description('whether a new flow from SRC reaches DST, with every reason: anti-spoofing, egress and ingress rules, remote-group members')
    .argument('<src>', 'port id or name, instance name, or IP address (outside the cloud too)')
    .argument('<dst>', 'port id or name, instance name, or IP address of a port')
    .requiredOption('--protocol <protocol>', 'tcp, udp, icmp, a protocol name or number')
    .option('--port <port>', 'destination port (ICMP: type)', integer('--port', 0, 65535))
    .option('--source-port <port>', 'source port (ICMP: code); default: an ephemeral port', integer('--source-port', 0, 65535))
    .option('--source-ip <ip>', 'with SRC a port: the address it sends from (a VIP, forwarded or spoofed traffic); default its fixed IP')
    .option('--source-mac <mac>', 'with SRC a port: the frame\'s source MAC (an allowed-address pair\'s own MAC); default the port\'s')
    .option('--destination-ip <ip>', 'with DST a port: the address the packet is sent to (one it does not hold, broadcast, multicast); default its fixed IP'), [...ROW_FORMATS, 'markdown'])
    .action(async (src: string, dst: string, o: Common & { protocol: string; port?: number; sourcePort?: number; sourceIp?: string; sourceMac?: string; destinationIp?: string }, cmd: Command) => {
      const cloud = await loadCloud(cmd, o);
      const answer = canReach(cloud, {
        src, dst, protocol: o.protocol, port: o.port, sourcePort: o.sourcePort, sourceIp: o.sourceIp, sourceMac: o.sourceMac, destinationIp: o.destinationIp,
      });
      if (o.format === 'json') return emit(o, JSON.stringify(explained(answer), null, 2));
      if (o.format === 'markdown') return emit(o, reachMarkdown(answer));
      if (o.format === 'value') return emit(o, answer.verdict);
      emit(o, [headline(answer), ...(o.format === 'table' ? reachBackendLines(answer, cloud.snapshot.backends?.agents) : []), formatRows(tabulate(REACH_COLUMNS, reachRows(answer)), o.format as RowFormat)].join('\n'));
    });

  common(program.command('exposure')
    .description('for each port and service, the sources its ingress rules admit, as the fewest CIDRs, and where each comes from')
    .argument('[ports...]', 'port ids or names (default: every port)'), ROW_FORMATS)
    .action(async (names: string[], o: Common, cmd: Command) => {
      const cloud = await loadCloud(cmd, o);
      const ports = names.length ? names.map((n) => cloud.ports.get(n) ?? cloud.snapshot.ports.find((p) => p.name === n) ?? fail(`no port has id or name ${n}`)) : undefined;
      // written row by row: a boxed table needs every row for its widths, the other formats do not
      if (o.format === 'json') return streamOut(o.output, (sink) => jsonArray(sink, mapRows(exposureRows(cloud, ports), (r) => explainedExposure([r])[0])));
      if (o.format === 'value') {
        return streamOut(o.output, async (sink) => {
          for (const r of exposureRows(cloud, ports)) await sink.put(`${formatRows(tabulate(EXPOSURE_COLUMNS, [r]), 'value')}\n`);
        });
      }
      const rows = exposure(cloud, ports);
      emit(o, [formatRows(tabulate(EXPOSURE_COLUMNS, rows), o.format as RowFormat), ...tableBackend(o, cloud, portUses(cloud, rows.map((r) => r.port.id)))].join('\n'));
    });

  common(program.command('audit')
    .description('find AAP and security-group mistakes: wide pairs in remote groups (the NAT/VIP pitfall), VIP pairs, port security, redundant rules, empty remote groups, admin ports open to the world, unused groups')
    .option('--wide-pair-prefix <len>', 'an IPv4 pair is wide at this prefix length or shorter (0: only /0)', integer('--wide-pair-prefix', 0, 32), 0)
    .option('--wide-pair-prefix6 <len>', 'the same for IPv6 pairs', integer('--wide-pair-prefix6', 0, 128), 0)
    .option('--admin-ports <list>', 'ports never to open to the world', DEFAULT_AUDIT_OPTIONS.adminPorts.join(','))
    .addOption(new Option('--check <name...>', 'run only these checks').choices(Object.keys(CHECKS)))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is this severe or more').choices(SEVERITIES)), [...ROW_FORMATS, 'sarif', 'markdown'])
    .action(async (o: Common & { widePairPrefix: number; widePairPrefix6: number; adminPorts: string; check?: string[]; failOn?: Severity }, cmd: Command) => {
      const cloud = await loadCloud(cmd, o);
      const options: AuditOptions = {
        widePair: { IPv4: o.widePairPrefix, IPv6: o.widePairPrefix6 },
        adminPorts: o.adminPorts.split(',').map((p) => integer('--admin-ports', 1, 65535)(p.trim())),
      };
      const findings = audit(cloud, options, progress('auditing'), o.check);
      const filtered = cloud.snapshot.ports.filter((p) => cloud.kind(p.id) === 'filtered').map((p) => p.id);
      const used = () => auditBackends(findings, filtered.map((id) => cloud.backendAt(id).backend), cloud.topology.options.backend);
      if (o.format === 'sarif') emit(o, JSON.stringify(sarif(findings, cloud.snapshot.source, version, { audit: used() }), null, 2));
      else if (o.format === 'markdown') emit(o, markdown(findings, cloud.snapshot.source, used()));
      // streamed: at 100,000 ports the findings are hundreds of MB as text (bench/audit)
      else if (o.format === 'json') await streamOut(o.output, (sink) => jsonArray(sink, findings));
      else emit(o, [formatRows(tabulate(FINDING_COLUMNS, findings), o.format as RowFormat) || 'no findings', ...tableBackend(o, cloud, portUses(cloud, filtered))].join('\n'));
      if (o.failOn && findings.some((f) => SEVERITIES.indexOf(f.severity) <= SEVERITIES.indexOf(o.failOn!))) process.exitCode = 1;
    });
}

function* mapRows<T, U>(items: Iterable<T>, fn: (item: T) => U): Generator<U> {
  for (const item of items) yield fn(item);
}

function fail(message: string): never {
  throw new InputError(message);
}
