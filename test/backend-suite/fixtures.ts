/** The golden fixtures (test/fixtures/golden, made by test/golden/neutron_driver.py) a backend's cases run on. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'vitest';
import { type goldenJson } from '../../src/backends/iptables/golden-json.js';
import { type Event } from '../../src/policy/events.js';
import { type Driver, parseTopology } from '../../src/policy/topology.js';
import { type BackendUnderTest } from './index.js';

export const DIR = join(import.meta.dirname, '../fixtures/golden');
export const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

export interface Fixture {
  input: Record<string, any> & { events?: Event[] };
  initial: ReturnType<typeof goldenJson>;
  final: ReturnType<typeof goldenJson> | null;
}

const cache = new Map<string, Fixture>();
/** parsed once per file: every case of a backend reads the same fixtures */
export function load(f: string): Fixture {
  if (!cache.has(f)) cache.set(f, JSON.parse(readFileSync(join(DIR, f), 'utf8')));
  return cache.get(f)!;
}

const driverOf = (fx: Fixture): Driver => parseTopology(fx.input).options.driver;

/**
 * The fixtures (of those the case takes: `only`) whose driver the backend renders; the
 * others are registered as skipped tests naming their driver, so none disappears from the report.
 */
export function fixturesFor(b: BackendUnderTest, caseName: string, only: (fx: Fixture) => boolean = () => true): [string, Fixture][] {
  const out: [string, Fixture][] = [];
  for (const f of FILES) {
    const fx = load(f);
    if (!only(fx)) continue;
    if (b.drivers.includes(driverOf(fx))) out.push([f, fx]);
    else test.skip(`${b.name}: ${caseName}: ${f} (driver ${driverOf(fx)} not rendered by this backend)`, () => {});
  }
  return out;
}
