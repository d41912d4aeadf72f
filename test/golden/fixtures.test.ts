// Well-formedness of the golden fixtures (test/fixtures/golden). The
// differential test of the compiler against them lives elsewhere.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateTopology } from './topology-generator.mjs';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/golden');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const randoms = files.filter((f) => f.startsWith('random-'));
const samples = files.filter((f) => f.startsWith('sample-'));

interface GoldenResult {
  ipset_restore: unknown;
  iptables_save: { IPv4: unknown; IPv6: unknown };
}

function expectResult(r: GoldenResult | null | undefined, where: string) {
  expect(r, where).toBeTypeOf('object');
  expect(r, where).not.toBeNull();
  expect(typeof r!.ipset_restore, `${where}.ipset_restore`).toBe('string');
  expect(typeof r!.iptables_save?.IPv4, `${where}.iptables_save.IPv4`).toBe('string');
  expect(typeof r!.iptables_save?.IPv6, `${where}.iptables_save.IPv6`).toBe('string');
}

describe('golden fixtures', () => {
  it('has at least 200 random fixtures and the samples', () => {
    expect(randoms.length).toBeGreaterThanOrEqual(200);
    expect(samples.length).toBeGreaterThan(0);
  });

  it('every fixture is well formed', () => {
    for (const f of files) {
      const fx = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      expect(Array.isArray(fx.input?.ports), `${f}: input.ports`).toBe(true);
      expectResult(fx.initial, `${f}: initial`);
      const hasEvents = Array.isArray(fx.input.events) && fx.input.events.length > 0;
      if (hasEvents) expectResult(fx.final, `${f}: final`);
      else expect(fx.final, `${f}: final`).toBeNull();
      if (f.startsWith('random-')) {
        expect(Number.isInteger(fx.seed), `${f}: seed`).toBe(true);
        // the generator still produces exactly the stored input
        expect(generateTopology(fx.seed), `${f}: generator drifted`).toEqual(fx.input);
      }
    }
  });
});
