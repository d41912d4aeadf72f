/**
 * A one-off can-reach from a dump file checks the ports and rules it reads, not the whole file
 * (bench/audit: checking 100,000 ports first cost more than the answer); a malformed item it
 * reads is refused as reading the whole file refuses it, and every other command checks the whole file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildCloud } from '../src/analysis/cloud.js';
import { canReach } from '../src/analysis/reach.js';
import { fromFiles } from '../src/analysis/sources/files.js';
import { CLI } from './support/server.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'portsec-lazy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** a reaches b's web port as a member of base; c and d are in groups the query does not read, e is a member of base */
const cloud = snapshot([
  port('a', ['10.10.10.11'], ['base']),
  port('b', ['10.10.10.12'], ['web']),
  port('c', ['10.10.10.13'], ['other']),
  port('d', ['10.10.10.14'], ['other']),
  port('e', ['10.10.10.15'], ['base']),
], ['base', 'web', 'other'], [
  rule('out', 'base', { direction: 'egress', protocol: null }),
  rule('http', 'web', { port_range_min: 80, port_range_max: 80, remote_group_id: 'base' }),
  rule('ssh', 'other', { port_range_min: 22, port_range_max: 22 }),
]);

/** the cloud as a dump file, with `change` made to its JSON (the malformed item) */
function dump(name: string, change: (body: Record<string, any>) => void = () => {}): string {
  const { source: _, ...body } = structuredClone(cloud);
  change(body);
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

const query = (src: string) => ({ src, dst: 'b', protocol: 'tcp', port: 80 });
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('a dump file read lazily', () => {
  const whole = canReach(buildCloud(fromFiles([dump('valid')], true)), query('a'));
  const badMac = dump('bad-mac', (b) => (b.ports[2].mac_address = 'not-a-mac'));
  const macError = `${badMac}: ports[2] (id c).mac_address: the string "not-a-mac" is not a MAC address`;

  test('the answer is the one reading the whole file gives, whatever is malformed where it does not read', () => {
    expect(whole.verdict).toBe('ALLOW');
    expect(canReach(buildCloud(fromFiles([dump('valid-eager')])), query('a'))).toEqual(whole);
    expect(canReach(buildCloud(fromFiles([badMac], true)), query('a'))).toEqual(whole);
  });

  test('a malformed port the query reads is refused with the message checking the whole file gives', () => {
    expect(() => fromFiles([badMac])).toThrow(macError);
    expect(() => canReach(buildCloud(fromFiles([badMac], true)), query('c'))).toThrow(macError);
    // a member of the remote group the rule names is read
    const badMember = dump('bad-member', (b) => (b.ports[4].mac_address = 'not-a-mac'));
    expect(() => canReach(buildCloud(fromFiles([badMember], true)), query('a'))).toThrow(`${badMember}: ports[4] (id e).mac_address: the string "not-a-mac" is not a MAC address`);
    // every port's groups are read (remote group members): a malformed list is refused whoever holds it
    const badGroups = dump('bad-groups', (b) => (b.ports[3].security_groups = 'other'));
    expect(() => buildCloud(fromFiles([badGroups], true))).toThrow(`${badGroups}: ports[3] (id d).security_groups: expected array, got the string "other"`);
  });

  test('a malformed rule of a group the query does not read is not read; its own group\'s is', () => {
    const badRule = dump('bad-rule', (b) => (b.security_group_rules[2].direction = 'sideways'));
    const ruleError = `${badRule}: security_group_rules[2] (id ssh).direction: expected one of "ingress", "egress", got the string "sideways"`;
    expect(canReach(buildCloud(fromFiles([badRule], true)), query('a'))).toEqual(whole);
    expect(() => canReach(buildCloud(fromFiles([badRule], true)), query('c'))).toThrow(ruleError);
    expect(() => fromFiles([badRule])).toThrow(ruleError);
  });

  test('CLI: can-reach answers past a malformed port it does not read; audit and exposure check the whole file (one line, status 2)', () => {
    const reach = cli('can-reach', 'a', 'b', '--protocol', 'tcp', '--port', '80', '--files', badMac, '-f', 'value', '-c', 'Result');
    expect(reach.stderr).toBe('');
    expect(reach.status).toBe(0);
    for (const command of [['audit'], ['exposure'], ['can-reach', 'c', 'b', '--protocol', 'tcp', '--port', '80']]) {
      const r = cli(...command, '--files', badMac);
      expect([r.status, r.stderr]).toEqual([2, `portsec: ${macError}\n`]);
    }
  });
});
