/**
 * A backend's incremental compiles agree with full ones on random change sequences: ports
 * gaining and losing pairs (0.0.0.0/0 included), joining and leaving groups,
 * moving off the host or away, groups losing rules. After every change the
 * delta (applied as the backend under test says) turns the previous state into
 * the new one, and the result equals a full compile of the changed topology (with
 * the agent's state: iptables' zone numbers).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { applyEvent, type Event, parseEvent } from '../../src/policy/events.js';
import { parseTopology, TopologyError } from '../../src/policy/topology.js';
import { expectSameState, fixturesFor } from './fixtures.js';
import { type BackendUnderTest } from './index.js';

type Change = { kind: 'pairs' | 'groups' | 'local' | 'remove' | 'rules'; port: number; pick: number };

function toEvent(input: Record<string, any>, ports: Record<string, any>[], c: Change): Event | undefined {
  const port = ports[c.port % ports.length];
  if (!port) return undefined;
  const groups: Record<string, any>[] = input.security_groups;
  switch (c.kind) {
    case 'pairs': {
      if (port.port_security_enabled === false) return undefined;
      const choices = [[], [{ ip_address: '0.0.0.0/0' }], [{ ip_address: '::/0' }, { ip_address: '10.9.9.9' }], [{ ip_address: '10.1.1.0/28', mac_address: 'fa:16:3e:99:99:99' }]];
      return { op: 'update_port', port: { ...port, allowed_address_pairs: choices[c.pick % choices.length] } };
    }
    case 'groups': {
      if (port.port_security_enabled === false || !groups.length) return undefined;
      const g = groups[c.pick % groups.length];
      const same = (id: string) => (groups.find((x) => x.id === id)?.stateful !== false) === (g.stateful !== false);
      return { op: 'update_port', port: { ...port, security_groups: [g.id, ...(port.security_groups ?? []).filter((x: string) => x !== g.id && same(x))].slice(0, 2) } };
    }
    case 'local':
      return { op: 'update_port', port: { ...port, local: port.local === false } };
    case 'remove':
      return { op: 'remove_port', id: port.id };
    case 'rules': {
      if (!groups.length) return undefined;
      const g = groups[c.pick % groups.length];
      return { op: 'update_security_group', security_group: { ...g, security_group_rules: (g.security_group_rules ?? []).slice(1) } };
    }
  }
}

export function incremental(b: BackendUnderTest): void {
  const inputs = fixturesFor(b, 'incremental random changes').map(([, fx]) => {
    const { events: _, ...input } = fx.input;
    return input as Record<string, any>;
  });
  test(`${b.name}: random change sequences: deltas and incremental state match full compiles`, () => {
    const change = fc.record({ kind: fc.constantFrom('pairs', 'groups', 'local', 'remove', 'rules'), port: fc.nat(), pick: fc.nat() }) as fc.Arbitrary<Change>;
    fc.assert(fc.property(fc.nat({ max: inputs.length - 1 }), fc.array(change, { minLength: 1, maxLength: 6 }), (which, changes) => {
      const input = inputs[which];
      let topology = parseTopology(input);
      const node = b.create(topology);
      let ports: Record<string, any>[] = [...input.ports];
      for (const c of changes) {
        const raw = toEvent(input, ports, c);
        if (!raw) continue;
        const e = parseEvent(topology, raw);
        const prev = node.state;
        let delta;
        try {
          delta = node.apply(e);
        } catch (err) {
          // a change whose names would collide is refused and changes nothing
          expect(err).toBeInstanceOf(TopologyError);
          expect(node.state).toEqual(prev);
          continue;
        }
        topology = applyEvent(topology, e);
        if (raw.op === 'remove_port') ports = ports.filter((p) => p.id !== raw.id);
        else if (raw.op !== 'update_security_group') ports = ports.map((p) => (p.id === raw.port.id ? raw.port : p));
        expectSameState(b, b.applyDelta(prev, delta), node.state, 'the delta applied to the state before it');
        if (b.freshSyncMatches?.(topology) ?? true) expectSameState(b, node.state, b.create(topology, node).state, 'a fresh sync of the changed topology');
      }
    }), { numRuns: 300, seed: 3 });
  }, 120_000);
}
