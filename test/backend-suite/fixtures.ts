/**
 * A backend's golden fixtures (test/fixtures/<its folder>, made by Neutron's own driver run
 * by test/golden), the cases run on, and how a rendered state is held against a stored one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { type Event } from '../../src/policy/events.js';
import { type NeutronBackend } from '../../src/policy/neutron-backends.js';
import { parseTopology } from '../../src/policy/topology.js';
import { type BackendUnderTest } from './index.js';

export const FIXTURES = join(import.meta.dirname, '../fixtures');

export interface Fixture {
  input: Record<string, any> & { events?: Event[] };
  /** Neutron's state for the input without its events, as the backend's fixtures store it */
  initial: unknown;
  /** and for the end topology after the events (null: the input has none) */
  final: unknown;
}

export const fixtureFiles = (b: Pick<BackendUnderTest, 'fixtures'>): string[] => readdirSync(join(FIXTURES, b.fixtures)).filter((f) => f.endsWith('.json')).sort();

const cache = new Map<string, Fixture>();
/** parsed once per file: every case of a backend reads the same fixtures */
export function load(b: Pick<BackendUnderTest, 'fixtures'>, f: string): Fixture {
  const path = join(FIXTURES, b.fixtures, f);
  if (!cache.has(path)) cache.set(path, JSON.parse(readFileSync(path, 'utf8')));
  return cache.get(path)!;
}

const firewallOf = (fx: Fixture): NeutronBackend => parseTopology(fx.input).options.backend;

/**
 * The fixtures (of those the case takes: `only`) whose firewall the backend renders; the
 * others are registered as skipped tests naming their firewall, so none disappears from the report.
 */
export function fixturesFor(b: Pick<BackendUnderTest, 'name' | 'fixtures' | 'firewalls'>, caseName: string, only: (fx: Fixture, f: string) => boolean = () => true): [string, Fixture][] {
  const out: [string, Fixture][] = [];
  for (const f of fixtureFiles(b)) {
    const fx = load(b, f);
    if (!only(fx, f)) continue;
    if (b.firewalls.includes(firewallOf(fx))) out.push([f, fx]);
    else test.skip(`${b.name}: ${caseName}: ${f} (firewall ${firewallOf(fx)} not rendered by this backend)`, () => {});
  }
  return out;
}

/**
 * The backend's state equals the stored one byte for byte, as the fixture's JSON writes it
 * (key order included); a difference is shown as a diff of the values.
 */
export function expectStored(b: BackendUnderTest, state: unknown, stored: unknown, what?: string): void {
  const ours = b.stored(state);
  if (JSON.stringify(ours) === JSON.stringify(stored)) return;
  expect(ours, what).toEqual(stored);
  expect.fail(`${what ?? 'state'}: equal values, written differently (key order)`);
}

/** Two states of the backend are the same state: what its fixtures would store for them is the same. */
export const expectSameState = (b: BackendUnderTest, a: unknown, c: unknown, what?: string): void => expectStored(b, a, b.stored(c), what);
