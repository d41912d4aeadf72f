/**
 * The backend against real Neutron: every fixture in test/fixtures/golden was
 * produced by Neutron 21's own iptables firewall driver (test/golden/neutron_driver.py);
 * the backend's --format golden-json output must equal it byte for byte. Event
 * sequences applied incrementally must reach the state of a full compile of the end
 * topology, and every delta must turn the previous state into the next.
 */
import { describe, expect, test } from 'vitest';
import { applyDelta } from '../../src/backends/iptables/delta.js';
import { goldenJson } from '../../src/backends/iptables/golden-json.js';
import { applyEvent, parseEvent } from '../../src/policy/events.js';
import { parseTopology } from '../../src/policy/topology.js';
import { FILES, fixturesFor } from './fixtures.js';
import { type BackendUnderTest } from './index.js';

export function goldenFullCompile(b: BackendUnderTest): void {
  describe(`${b.name}: golden full compile`, () => {
    test('the fixtures cover at least 200 random topologies and the 10 samples', () => {
      expect(FILES.filter((f) => f.startsWith('random-')).length).toBeGreaterThanOrEqual(200);
      expect(FILES.filter((f) => f.startsWith('sample-')).length).toBeGreaterThanOrEqual(10);
    });

    test.each(fixturesFor(b, 'golden full compile'))('%s: full compile equals Neutron\'s ipset and iptables state', (_, fx) => {
      const { events: _events, ...initialInput } = fx.input;
      expect(goldenJson(b.create(parseTopology(initialInput)).state)).toEqual(fx.initial);
    });
  });
}

export function goldenEvents(b: BackendUnderTest): void {
  describe(`${b.name}: golden events`, () => {
    const withEvents = fixturesFor(b, 'golden events', (fx) => !!fx.input.events?.length);
    test.each(withEvents)('%s: events applied incrementally reach the full compile of the end state', (_, fx) => {
      const { events = [], ...initialInput } = fx.input;
      let topology = parseTopology(initialInput);
      const node = b.create(topology);
      for (const raw of events) {
        const e = parseEvent(topology, raw);
        topology = applyEvent(topology, e);
        const prev = node.state;
        const delta = node.apply(e);
        expect(goldenJson(applyDelta(prev, delta))).toEqual(goldenJson(node.state));
      }
      // zone numbers are agent state: a full compile that starts from the agent's zones (a node
      // whose last port left keeps its frame, one that never had a port has none, as Neutron's agent)
      if (topology.ports.some((p) => p.local)) expect(goldenJson(node.state)).toEqual(goldenJson(b.create(topology, node.zones).state));
      // and the end topology compiled afresh is what Neutron computes for it
      expect(goldenJson(b.create(topology).state)).toEqual(fx.final);
    });
  });
}
