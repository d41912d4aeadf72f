/**
 * The compiler against real Neutron: every fixture in test/fixtures/golden was
 * produced by Neutron 21's own iptables firewall driver (test/golden/neutron_driver.py);
 * our --format golden-json output must equal it byte for byte. Event sequences
 * applied incrementally must reach the state of a full compile of the end
 * topology, and every delta must turn the previous state into the next.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyDelta } from '../src/backends/iptables/delta.js';
import { goldenJson } from '../src/backends/iptables/golden-json.js';
import { NodeCompiler } from '../src/backends/iptables/node-compiler.js';
import { applyEvent, type Event, parseEvent } from '../src/policy/events.js';
import { parseTopology } from '../src/policy/topology.js';

const DIR = join(import.meta.dirname, 'fixtures/golden');
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

interface Fixture {
  input: Record<string, any> & { events?: Event[] };
  initial: ReturnType<typeof goldenJson>;
  final: ReturnType<typeof goldenJson> | null;
}

const load = (f: string): Fixture => JSON.parse(readFileSync(join(DIR, f), 'utf8'));

test('the fixtures cover at least 200 random topologies and the 10 samples', () => {
  expect(fixtures.filter((f) => f.startsWith('random-')).length).toBeGreaterThanOrEqual(200);
  expect(fixtures.filter((f) => f.startsWith('sample-')).length).toBeGreaterThanOrEqual(10);
});

describe.each(fixtures)('%s', (file) => {
  const fx = load(file);
  const { events = [], ...initialInput } = fx.input;

  test('full compile equals Neutron\'s ipset and iptables state', () => {
    expect(goldenJson(new NodeCompiler(parseTopology(initialInput)).state)).toEqual(fx.initial);
  });

  if (events.length) test('events applied incrementally reach the full compile of the end state', () => {
    let topology = parseTopology(initialInput);
    const node = new NodeCompiler(topology);
    for (const raw of events) {
      const e = parseEvent(topology, raw);
      topology = applyEvent(topology, e);
      const prev = node.state;
      const delta = node.apply(e);
      expect(goldenJson(applyDelta(prev, delta))).toEqual(goldenJson(node.state));
    }
    // zone numbers are agent state: a full compile that starts from the agent's zones (a node
    // whose last port left keeps its frame, one that never had a port has none, as Neutron's agent)
    if (topology.ports.some((p) => p.local)) expect(goldenJson(node.state)).toEqual(goldenJson(new NodeCompiler(topology, node.zones).state));
    // and the end topology compiled afresh is what Neutron computes for it
    expect(goldenJson(new NodeCompiler(topology).state)).toEqual(fx.final);
  });
});
