/**
 * `portsec fix FINDING-ID [--apply]`: the fixes of one finding of the audit, each with its proof
 * and its script; with --apply, the chosen fix run through the cloud's API (If-Match on every
 * revision it read), then the cloud read and audited again.
 */
import { type Command } from 'commander';
import { type Finding } from '../analysis/answers.js';
import { audit } from '../analysis/audit/index.js';
import { type Execution, executeFix, undoScript } from '../analysis/fix/execute.js';
import { fixesFor } from '../analysis/fix/prove.js';
import { fixScript } from '../analysis/fix/script.js';
import { type Fix, type FlowChange } from '../analysis/fix/types.js';
import { flowText } from '../analysis/report/fix-text.js';
import { tabulate } from '../analysis/report/table.js';
import { openNeutron, pageSizeOf, readNeutron } from '../analysis/sources/openstack.js';
import { addAuditOptions, type AuditFlags, auditOptionsOf, cloudOf, type Common, common, fail, integer } from './analyze.js';
import { cloudInput, readProgress, readSnapshot } from './input-options.js';
import { emit, rowsText } from './output.js';

type FixOptions = Common & AuditFlags & { apply?: boolean; fix?: number };

function proofLines(fix: Fix): string[] {
  const p = fix.proof;
  const flows = (label: string, list: FlowChange[]) => (list.length ? [`${label}:`, ...list.map((f) => `  ${flowText(f)}`)] : [`${label}: none`]);
  return [
    `finding gone: ${p.findingGone ? 'yes' : 'NO'}`,
    ...flows('closed', p.closed),
    ...flows('stay open', p.stayOpen),
    ...flows('opened', p.opened),
    `new findings: ${p.newFindings.length ? p.newFindings.join(', ') : 'none'}`,
  ];
}

function executionLines(e: Execution): string[] {
  const calls = (c: Execution['ran'][number]['calls']) => c.map((x) => `${x.method} /v2.0/${x.path} ${x.status}`).join(', ');
  const undo = e.failed && undoScript(e);
  return [
    ...e.ran.map((s) => `ran: ${s.command}\n  ${calls(s.calls)}`),
    ...(e.failed ? [`FAILED: ${e.failed.command}\n  ${e.failed.error}`] : []),
    ...e.notRun.map((s) => `not run: ${s.command}`),
    ...Object.entries(e.created).map(([name, id]) => `created ${name}: ${id}`),
    ...(undo?.commands.length ? ['to take out what the fix created before it stopped:', ...undo.commands.map((c) => `  ${c}`)] : []),
    ...(undo?.changed.length ? ['changed before it stopped (set back by hand if needed):', ...undo.changed.map((c) => `  ${c}`)] : []),
  ];
}

export function fixCommand(program: Command): void {
  common(addAuditOptions(program.command('fix')
    .description('the proven fixes of one finding of `portsec audit` (by its id): what each closes and leaves open, and its openstack script; with --apply, run one through the API and audit again')
    .argument('<finding-id>', 'a finding\'s id, as `portsec audit -f json` prints it (field id)')
    .option('--fix <n>', 'which offered fix --apply runs and -f shell prints (default 1); -f shell prints only that script, to pipe to bash', integer('--fix', 1, 1000))
    .option('--apply', 'run the fix through the cloud\'s API (a live cloud or `portsec serve`, with If-Match on every revision the fix read), then read and audit the cloud again')), { raw: 'the whole answer as JSON: the finding, each fix with its proof, actions and script (for programs)', shell: 'only the chosen fix\'s script, ready for bash' })
    .action(async (id: string, o: FixOptions, cmd: Command) => {
      const input = cloudInput(cmd);
      if (o.apply && !input) fail('--apply writes to a cloud: --db and --files are read as snapshots, so there is nothing to apply to (name a cloud: --os-cloud, --os-auth-url …)');
      if (o.apply && o.format === 'shell') fail('-f shell prints the script to run yourself: it does not go with --apply');
      const neutron = input && await openNeutron(input);
      const read = () => (neutron ? readNeutron(neutron, pageSizeOf(input), readProgress(cmd)) : readSnapshot(cmd));
      const snapshot = await read();
      const options = auditOptionsOf(o);
      const findings = audit(cloudOf(snapshot, o), options);
      const finding = findings.find((f) => f.id === id)
        ?? fail(`no finding ${id} in ${snapshot.source} (${findings.length} findings; \`portsec audit -f json\` prints each one's id)`);
      const { offered, refused } = fixesFor(cloudOf(snapshot, o), finding, options);
      const head = { id: finding.id, check: finding.check, title: finding.title };
      if (!offered.length) {
        emit(o, o.format === 'raw' ? JSON.stringify({ finding: head, offered: [], refused: refused.map((r) => ({ kind: r.fix.kind, title: r.fix.title, why: r.why })) }, null, 2)
          : [`no fix is offered for ${finding.id}`, ...refused.map((r) => `refused: ${r.fix.title}: ${r.why}`)].join('\n'));
        process.exitCode = 1;
        return;
      }
      const n = o.fix ?? 1;
      const chosen = offered[n - 1] ?? fail(`--fix ${n}: ${finding.id} has ${offered.length} fix${offered.length > 1 ? 'es' : ''}`);
      const script = (fix: Fix) => fixScript(fix.actions);

      if (!o.apply) {
        if (o.format === 'shell') return emit(o, script(chosen).join('\n'));
        if (o.format === 'raw') {
          return emit(o, JSON.stringify({
            finding: head,
            offered: offered.map((fix, i) => ({ n: i + 1, kind: fix.kind, title: fix.title, caveats: fix.caveats, proof: fix.proof, actions: fix.actions, script: script(fix) })),
            refused: refused.map((r) => ({ kind: r.fix.kind, title: r.fix.title, why: r.why })),
          }, null, 2));
        }
        const rows = tabulate<[Fix, number]>([
          { name: 'Fix', cell: ([, i]) => String(i + 1) },
          { name: 'Title', cell: ([fix]) => [fix.title, ...fix.caveats.map((c) => `! ${c}`)].join('\n') },
          { name: 'Proof', cell: ([fix]) => proofLines(fix).join('\n') },
          { name: 'Script', cell: ([fix]) => script(fix).join('\n') },
        ], offered.map((fix, i): [Fix, number] => [fix, i]));
        return emit(o, rowsText(o, rows, { before: [`${finding.id}: ${finding.title}`], after: refused.map((r) => `not offered: ${r.fix.title}: ${r.why}`) }));
      }

      const started = Date.now();
      const execution = await executeFix(chosen, neutron!);
      const after = execution.failed ? undefined : audit(cloudOf(await read(), o), options);
      const seconds = (Date.now() - started) / 1000;
      const gone = after && !after.some((f) => f.id === finding.id);
      const before = new Set(findings.map((f) => f.id));
      const fresh: Finding[] = after?.filter((f) => !before.has(f.id)) ?? [];
      const calls = [...execution.ran, ...(execution.failed ? [execution.failed] : [])].reduce((sum, s) => sum + s.calls.length, 0);
      if (o.format === 'raw') {
        emit(o, JSON.stringify({
          finding: head, fix: { n, kind: chosen.kind, title: chosen.title },
          ran: execution.ran.map((s) => ({ command: s.command, calls: s.calls })),
          failed: execution.failed && { command: execution.failed.command, calls: execution.failed.calls, error: execution.failed.error, undo: undoScript(execution) },
          not_run: execution.notRun.map((s) => s.command),
          created: execution.created,
          api_calls: calls,
          seconds,
          finding_gone: gone ?? null,
          new_findings: fresh.map((f) => ({ id: f.id, severity: f.severity, title: f.title })),
        }, null, 2));
      } else {
        emit(o, [
          `${finding.id}: fix ${n}: ${chosen.title}`,
          ...executionLines(execution),
          `${calls} API call${calls === 1 ? '' : 's'} in ${seconds.toFixed(2)} s`,
          after === undefined ? 'stopped: the cloud was not audited again'
            : `re-audit: ${gone ? `${finding.id} is gone` : `${finding.id} is STILL THERE`}; new findings: ${fresh.length ? fresh.map((f) => `${f.id} (${f.severity}) ${f.title}`).join('; ') : 'none'}`,
        ].join('\n'));
      }
      if (!gone || fresh.length) process.exitCode = 1;
    });
}
