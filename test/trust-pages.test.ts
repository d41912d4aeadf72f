/**
 * No false all-clear from a dump in pages: every page of a resource is read, in
 * order, and a page that links a next one missing from the dump is refused (one
 * line, status 2) rather than audited as if it were the whole cloud.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { audit } from '../src/analysis/audit/index.js';
import { buildCloud } from '../src/analysis/cloud.js';
import { type Snapshot } from '../src/analysis/snapshot.js';
import { fromFiles } from '../src/analysis/sources/files.js';
import { portsec } from './support/server.js';
import { port, rule, snapshot } from './support/snapshot-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'portsec-pages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Six ports; the last three hold the groups web, db and cache, which nothing on the first page holds. */
const whole: Snapshot = snapshot([
  port('a', ['10.10.10.11'], ['base']),
  port('b', ['10.10.10.12'], ['base']),
  port('c', ['10.10.10.13'], ['base']),
  port('d', ['10.10.10.14'], ['web']),
  port('e', ['10.10.10.15'], ['db']),
  port('f', ['10.10.10.16'], ['cache']),
], ['base', 'web', 'db', 'cache'], [
  rule('ssh', 'base', { port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.10.10.0/24' }),
  rule('http', 'web', { port_range_min: 80, port_range_max: 80, remote_group_id: 'base' }),
  rule('sql', 'db', { port_range_min: 5432, port_range_max: 5432, remote_group_id: 'base' }),
  rule('kv', 'cache', { port_range_min: 6379, port_range_max: 6379, remote_group_id: 'base' }),
]);

const link = (marker: string) => [{ rel: 'next', href: `http://neutron:9696/v2.0/ports?limit=3&marker=${marker}` }];

/** The snapshot as a dump directory; the ports in pages of three, each but the last linking the next. */
function dump(name: string, pages: (dir: string) => void): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'networks.json'), JSON.stringify({ networks: whole.networks }));
  writeFileSync(join(dir, 'subnets.json'), JSON.stringify({ subnets: whole.subnets }));
  writeFileSync(join(dir, 'security_groups.json'), JSON.stringify({ security_groups: whole.security_groups }));
  writeFileSync(join(dir, 'security_group_rules.json'), JSON.stringify({ security_group_rules: whole.security_group_rules }));
  pages(dir);
  return dir;
}
const paged = (dir: string) => {
  writeFileSync(join(dir, 'ports.json'), JSON.stringify({ ports: whole.ports.slice(0, 3), ports_links: link('c') }));
  writeFileSync(join(dir, 'ports-page2.json'), JSON.stringify({ ports: whole.ports.slice(3), ports_links: [{ rel: 'previous', href: 'http://neutron:9696/v2.0/ports?limit=3&marker=d&page_reverse=True' }] }));
};

const findings = (s: Snapshot) => audit(buildCloud(s)).map((f) => `${f.check} ${f.title}`).sort();

describe('a dump in pages', () => {
  const full = dump('full', (dir) => writeFileSync(join(dir, 'ports.json'), JSON.stringify({ ports: whole.ports })));
  const split = dump('split', paged);

  test('reads as the whole: the same ports in the same order, the same audit', () => {
    const read = fromFiles([split]);
    expect(read.ports.map((p) => p.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(findings(read)).toEqual(findings(fromFiles([full])));
  });

  test('regression: the groups the second page uses are not reported unused', () => {
    const firstPageOnly = { ...whole, ports: whole.ports.slice(0, 3) };
    // what reading the first page alone reported: three groups in use called unused
    expect(findings(firstPageOnly).filter((f) => f.startsWith('unused-group'))).toHaveLength(3);
    expect(findings(fromFiles([split])).filter((f) => f.startsWith('unused-group'))).toEqual([]);
  });

  test('pages named ports-page1.json, ports_page_2.json, ports-3.json are read in page order; a duplicate object is one object', () => {
    const dir = dump('numbered', (d) => {
      writeFileSync(join(d, 'ports-3.json'), JSON.stringify({ ports: whole.ports.slice(4) }));
      writeFileSync(join(d, 'ports-page1.json'), JSON.stringify({ ports: whole.ports.slice(0, 2), ports_links: link('b') }));
      // page 2 repeats d, which page 3 holds too: the same object, read once
      writeFileSync(join(d, 'ports_page_2.json'), JSON.stringify({ ports: whole.ports.slice(2, 5), ports_links: link('e') }));
    });
    expect(fromFiles([dir]).ports.map((p) => p.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  test('an object twice with other attributes, a gap in the pages, a page number twice: refused', () => {
    const conflict = dump('conflict', (d) => {
      writeFileSync(join(d, 'ports.json'), JSON.stringify({ ports: whole.ports.slice(0, 4), ports_links: link('d') }));
      writeFileSync(join(d, 'ports-page2.json'), JSON.stringify({ ports: [{ ...whole.ports[3], name: 'renamed' }, ...whole.ports.slice(4)] }));
    });
    expect(() => fromFiles([conflict])).toThrow(`${join(conflict, 'ports-page2.json')}: ports: d is also in ${join(conflict, 'ports.json')}, with other attributes`);
    const gap = dump('gap', (d) => {
      writeFileSync(join(d, 'ports.json'), JSON.stringify({ ports: whole.ports.slice(0, 3) }));
      writeFileSync(join(d, 'ports-page3.json'), JSON.stringify({ ports: whole.ports.slice(3) }));
    });
    expect(() => fromFiles([gap])).toThrow(`${join(gap, 'ports-page3.json')}: ports page 3 comes without page 2 in ${gap}`);
    const twice = dump('twice', (d) => {
      writeFileSync(join(d, 'ports.json'), JSON.stringify({ ports: whole.ports.slice(0, 3) }));
      writeFileSync(join(d, 'ports-page1.json'), JSON.stringify({ ports: whole.ports.slice(3) }));
    });
    expect(() => fromFiles([twice])).toThrow(/ports page 1 is also (ports\.json|ports-page1\.json)/);
  });

  test('a next link whose page is not in the dump: refused, naming the resource, the file and the link (CLI: one line, status 2)', async () => {
    const dangling = dump('dangling', paged);
    unlinkSync(join(dangling, 'ports-page2.json'));
    const message = `ports: ${join(dangling, 'ports.json')} has a next link whose page is not in the dump (${link('c')[0].href})`;
    expect(() => fromFiles([dangling])).toThrow(message);
    const r = await portsec('audit', '--files', dangling);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^portsec: [^\n]+\n$/);
    expect(r.stderr).toContain(message);
    // the same for a file named alone, and for any resource's links (a combined file's security_groups_links)
    const combined = join(tmp, 'combined.json');
    writeFileSync(combined, JSON.stringify({ ...whole, source: undefined, security_groups_links: [{ rel: 'next', href: 'http://neutron:9696/v2.0/security-groups?marker=web' }] }));
    expect(() => fromFiles([combined])).toThrow(`security_groups: ${combined} has a next link whose page is not in the dump`);
  });
});
