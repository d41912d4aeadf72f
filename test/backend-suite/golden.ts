/**
 * The backend against real Neutron: every fixture in the backend's golden folder was
 * produced by Neutron 21's own driver (test/golden); the backend's state, as the fixtures
 * store it, must equal it byte for byte. Event sequences applied incrementally must
 * reach the state of a full compile of the end topology, and every delta must turn the
 * previous state into the next.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { applyEvent, parseEvent } from '../../src/policy/events.js';
import { parseTopology } from '../../src/policy/topology.js';
import { expectSameState, expectStored, fixtureFiles, fixturesFor } from './fixtures.js';
import { type BackendUnderTest } from './index.js';

export function goldenFullCompile(b: BackendUnderTest): void {
  describe(`${b.name}: golden full compile`, () => {
    test('the fixtures cover at least 200 random topologies and the 10 samples', () => {
      const files = fixtureFiles(b);
      expect(files.filter((f) => f.startsWith('random-')).length).toBeGreaterThanOrEqual(200);
      expect(files.filter((f) => f.startsWith('sample-')).length).toBeGreaterThanOrEqual(10);
    });

    const fixtures = fixturesFor(b, 'golden full compile');
    let equal = 0;
    test.each(fixtures)('%s: full compile equals Neutron\'s state', (_, fx) => {
      const { events: _events, ...initialInput } = fx.input;
      expectStored(b, b.create(parseTopology(initialInput)).state, fx.initial);
      equal++;
    });
    afterAll(() => console.log(`${b.name}: golden full compile: ${equal}/${fixtures.length} fixtures (${b.fixtures}) equal Neutron's byte for byte`));
  });
}

export function goldenEvents(b: BackendUnderTest): void {
  describe(`${b.name}: golden events`, () => {
    const withEvents = fixturesFor(b, 'golden events', (fx) => !!fx.input.events?.length);
    let equal = 0;
    test.each(withEvents)('%s: events applied incrementally reach the full compile of the end state', (_, fx) => {
      const { events = [], ...initialInput } = fx.input;
      let topology = parseTopology(initialInput);
      const node = b.create(topology);
      for (const [i, raw] of events.entries()) {
        const e = parseEvent(topology, raw);
        topology = applyEvent(topology, e);
        const prev = node.state;
        const delta = node.apply(e);
        expectSameState(b, b.applyDelta(prev, delta), node.state, `event ${i}: the delta applied to the state before it`);
      }
      // a fresh sync of the node, keeping the agent's state, is the node that followed the events
      if (b.freshSyncMatches?.(topology) ?? true) expectSameState(b, node.state, b.create(topology, node).state, 'the node after the events');
      // and the end topology compiled afresh is what Neutron computes for it
      expectStored(b, b.create(topology).state, fx.final);
      equal++;
    });
    afterAll(() => console.log(`${b.name}: golden events: ${equal}/${withEvents.length} fixtures with events, every delta applied and the end state equal Neutron's`));
  });
}
