/**
 * The IR changes of the backend's policy engine are complete: following only them (ports added,
 * re-derived and removed; per remote group, members added and removed and
 * references started and stopped) from the initial state reaches, after every
 * event of every golden fixture, the engine's own state and that of the backend
 * built afresh from the changed topology. The events go through the backend, which
 * feeds its engine as it needs (OVN takes every port as local); the changes are what
 * the engine's commit returned to it.
 */
import { describe, expect, test, vi } from 'vitest';
import { type IrChanges, type PolicyEngine } from '../../src/policy/engine.js';
import { applyEvent, type Event, parseEvent } from '../../src/policy/events.js';
import { FAMILIES, type Family, type Member, type PortPolicy } from '../../src/policy/ir.js';
import { parseTopology } from '../../src/policy/topology.js';
import { fixturesFor } from './fixtures.js';
import { type BackendUnderTest } from './index.js';

const key = (m: Member) => JSON.stringify([m.portId, m.via, m.ip, m.mac]);
type Groups = Record<Family, Map<string, Set<string>>>;

/** Per family, each referenced group's members (as keys), sorted for comparison. */
function groupsOf(engine: PolicyEngine): Record<Family, [string, string[]][]> {
  const out = {} as Record<Family, [string, string[]][]>;
  for (const f of FAMILIES) out[f] = [...engine.referenced(f)].sort().map((g) => [g, engine.membersOf(g, f).map(key).sort()]);
  return out;
}

const sorted = (groups: Groups) => Object.fromEntries(FAMILIES.map((f) => [f, [...groups[f]].sort(([a], [b]) => (a < b ? -1 : 1)).map(([g, s]) => [g, [...s].sort()])]));

export function engineIrChanges(b: BackendUnderTest): void {
  describe(`${b.name}: engine IR changes`, () => {
    const withEvents = fixturesFor(b, 'engine IR changes', (fx) => !!fx.input.events?.length).map(([f, fx]) => [f, fx.input] as const);

    test('fixtures with events exist', () => expect(withEvents.length).toBeGreaterThanOrEqual(50));

    test.each(withEvents)('%s: following the IR changes reaches the engine\'s state', (_, input) => {
      const { events, ...initial } = input as { events: Event[] };
      let topology = parseTopology(initial);
      const node = b.create(topology);
      const engine = node.engine;
      const commit = vi.spyOn(engine, 'commit');
      const ports = new Map<string, PortPolicy>(engine.localPolicies().map((pp) => [pp.port.id, pp]));
      const groups = {} as Groups;
      for (const f of FAMILIES) groups[f] = new Map([...engine.referenced(f)].map((g) => [g, new Set(engine.membersOf(g, f).map(key))]));
      for (const raw of events) {
        const e = parseEvent(topology, raw);
        topology = applyEvent(topology, e);
        commit.mockClear();
        node.apply(e);
        expect(commit).toHaveBeenCalledTimes(1);
        const changes = commit.mock.results[0].value as IrChanges;
        for (const [id, { before, after }] of changes.ports) {
          expect(ports.get(id)).toBe(before);
          if (after) ports.set(id, after);
          else ports.delete(id);
        }
        for (const f of FAMILIES) {
          for (const [g, c] of changes.groups[f]) {
            expect(groups[f].has(g)).toBe(c.wasReferenced);
            const members = groups[f].get(g) ?? new Set();
            for (const m of c.removed) expect(members.delete(key(m))).toBe(true);
            for (const m of c.added) members.add(key(m));
            if (c.referenced) groups[f].set(g, members);
            else {
              expect(members.size).toBe(0);
              groups[f].delete(g);
            }
          }
        }
        expect([...ports.values()]).toEqual(expect.arrayContaining(engine.localPolicies()));
        expect(ports.size).toBe(engine.localPolicies().length);
        expect(sorted(groups)).toEqual(groupsOf(engine));
        expect(groupsOf(b.create(topology).engine)).toEqual(groupsOf(engine));
      }
    });
  });
}
