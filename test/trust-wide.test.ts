/**
 * Wide means wide: by default a pair is wide when wider than its port's subnet, judged on
 * the union of the pairs (one port's 0.0.0.0/1 + 128.0.0.0/1 is the /0, critical);
 * `--wide-pair-prefix` sets an absolute threshold instead.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { audit } from '../src/analysis/audit/index.js';
import { type AuditOptions, DEFAULT_AUDIT_OPTIONS } from '../src/analysis/audit/options.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { portsec } from './support/server.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'portsec-wide-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One member of `ssh` (on the /24 subnet 10.10.10.0/24) with `pairs`; proxy admits ssh on tcp/80. */
const cloudWith = (pairs: string[]): Snapshot => snapshot([
  port('nat', ['10.10.10.10'], ['ssh'], pairs),
  port('proxy', ['10.10.10.30'], ['proxy']),
], ['ssh', 'proxy'], [rule('web', 'proxy', { port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' })]);

const wide = (s: Snapshot, o: AuditOptions = DEFAULT_AUDIT_OPTIONS) => audit(buildCloud(s), o, undefined, ['wide-pair'])
  .map((f) => `${f.severity} ${/to (\S+)$/.exec(f.title)![1]} via ${/pair (\S+)/.exec(f.title)![1]}`);

describe('the default threshold: wider than the port\'s subnet', () => {
  test.each([
    [['10.10.10.128/25'], []],
    [['10.10.10.0/24'], []],
    [['10.10.10.5'], []],
    [['10.10.0.0/16'], ['high 10.10.0.0/16 via 10.10.0.0/16']],
    [['10.10.10.0/25', '10.20.0.0/23', '10.30.0.0/24'], ['high 10.20.0.0/23 via 10.20.0.0/23']],
    [['192.168.0.0/24', '192.168.1.0/24'], ['high 192.168.0.0/23 via 192.168.0.0/24', 'high 192.168.0.0/23 via 192.168.1.0/24']],
    // the split: one port, two halves, the /0
    [['0.0.0.0/1', '128.0.0.0/1'], ['critical 0.0.0.0/0 via 0.0.0.0/1', 'critical 0.0.0.0/0 via 128.0.0.0/1']],
    [['0.0.0.0/0'], ['critical 0.0.0.0/0 via 0.0.0.0/0']],
  ])('pairs %j: %j', (pairs, expected) => {
    expect(wide(cloudWith(pairs)).sort()).toEqual(expected);
  });

  test('the old /0-only default would have missed a /1 alone and a /16; --wide-pair-prefix sets an absolute threshold', () => {
    const absolute = (len: number): AuditOptions => ({ ...DEFAULT_AUDIT_OPTIONS, widePair: { IPv4: len, IPv6: len } });
    expect(wide(cloudWith(['0.0.0.0/1']), absolute(0))).toEqual([]);
    expect(wide(cloudWith(['0.0.0.0/1']))).toEqual(['high 0.0.0.0/1 via 0.0.0.0/1']);
    expect(wide(cloudWith(['10.10.0.0/16']), absolute(8))).toEqual([]);
    // absolute: a /25 inside the subnet is wide when told so
    expect(wide(cloudWith(['10.10.10.128/25']), absolute(25))).toEqual(['high 10.10.10.128/25 via 10.10.10.128/25']);
  });

  test('a pair of a family the port has no subnet in is wide beyond one address', () => {
    expect(wide({ ...cloudWith(['fd00::/126']), security_group_rules: [rule('web6', 'proxy', { ethertype: 'IPv6', port_range_min: 80, port_range_max: 80, remote_group_id: 'ssh' })] }))
      .toEqual(['high fd00::/126 via fd00::/126']);
  });

  test('CLI: the default, --wide-pair-prefix and --wide-pair-prefix6', async () => {
    const file = join(tmp, 'sixteen.json');
    writeFileSync(file, JSON.stringify(cloudWith(['10.10.0.0/16'])));
    const checks = async (...flags: string[]) => {
      const r = await portsec('audit', '--files', file, '--check', 'wide-pair', '-f', 'raw', ...flags);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { severity: string; check: string }[]).map((f) => `${f.check} ${f.severity}`);
    };
    expect(await checks()).toEqual(['wide-pair-in-remote-group high']);
    expect(await checks('--wide-pair-prefix', '8')).toEqual([]);
    expect(await checks('--wide-pair-prefix', '16')).toEqual(['wide-pair-in-remote-group high']);
    // IPv6 alone: IPv4 keeps the default
    expect(await checks('--wide-pair-prefix6', '0')).toEqual(['wide-pair-in-remote-group high']);
  });
});
