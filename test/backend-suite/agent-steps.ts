/**
 * What Neutron's agent really enforces after events (issue 13): every event sequence of
 * test/fixtures/agent-steps (Neutron 21's agent and iptables driver run offline by
 * test/golden/make-agent-steps.mjs, the node recorded after the initial sync and after
 * each event's loop) is replayed through the backend as it models that agent, and every
 * step must equal Neutron's byte for byte; each delta must turn one step into the next.
 * A fresh sync of each step's topology is counted beside it, to show what the model adds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type goldenJson } from '../../src/backends/iptables/golden-json.js';
import { type Event, parseEvent } from '../../src/policy/events.js';
import { parseTopology, type Topology } from '../../src/policy/topology.js';
import { statesOf } from '../golden/steps-format.mjs';
import { expectSameState } from './fixtures.js';
import { type AnyBackend, type BackendUnderTest } from './index.js';

export const STEPS_DIR = join(import.meta.dirname, '../fixtures/agent-steps');
const GOLDEN_DIR = join(import.meta.dirname, '../fixtures/golden');
export const STEP_FILES = readdirSync(STEPS_DIR).filter((f) => f.endsWith('.json')).sort();

export type State = ReturnType<typeof goldenJson>;
export interface StepsFixture {
  seed?: number;
  sample?: string;
  /** the golden fixture whose input this is */
  golden?: string;
  input?: Record<string, any> & { events?: Event[] };
  /** Neutron's state after the initial sync, then after each event */
  steps: State[];
}

/** A fixture with its states unpacked (test/golden/steps-format.mjs). */
export function loadSteps(f: string): StepsFixture {
  const raw = JSON.parse(readFileSync(join(STEPS_DIR, f), 'utf8'));
  return { ...raw, steps: statesOf(raw) };
}
export const stepsInput = (fx: StepsFixture): Record<string, any> & { events?: Event[] } =>
  fx.input ?? JSON.parse(readFileSync(join(GOLDEN_DIR, fx.golden!), 'utf8')).input;

/**
 * What the backend does not reproduce of Neutron's agent, declared: each kind with its
 * reason and what a step of that kind must still satisfy. A step that differs must be
 * explained by one of them, and each must still explain some step (or it goes). None is
 * left: the last one, Neutron's spelling of a rule the kernel already holds in another
 * (IptablesManager's ndiff against iptables-save), is modelled (agent-state.ts, respell).
 */
const EXPECTED_DIVERGENCES: { kind: string; reason: string; explains: (ours: State, neutron: State) => boolean }[] = [];

/** The node after the initial sync and after each event, as the fixtures store it; every delta checked on the way. */
function replay(b: BackendUnderTest, fx: StepsFixture, create: (t: Topology) => AnyBackend): State[] {
  const { events = [], ...initial } = stepsInput(fx);
  const node = create(parseTopology(initial));
  const out = [b.stored(node.state) as State];
  for (const raw of events) {
    const prev = node.state;
    const delta = node.apply(parseEvent(node.engine.topology, raw));
    expectSameState(b, b.applyDelta(prev, delta), node.state, 'the delta applied to the step before it');
    out.push(b.stored(node.state) as State);
  }
  return out;
}

export function agentSteps(b: BackendUnderTest): void {
  describe(`${b.name}: agent steps (Neutron 21's agent, step by step)`, () => {
    const tally = { fixtures: 0, steps: 0, matched: 0, freshSync: 0 };
    const explained = new Map<string, string[]>(EXPECTED_DIVERGENCES.map((d) => [d.kind, []]));
    const agent = b.agent;
    if (!agent) throw new Error(`${b.name}: no agent model; skip the "agent steps" case with a reason instead`);

    const fixtures = STEP_FILES.filter((f) => {
      const firewall = parseTopology(stepsInput(loadSteps(f))).options.backend;
      if (b.firewalls.includes(firewall)) return true;
      test.skip(`${b.name}: agent steps: ${f} (firewall ${firewall} not rendered by this backend)`, () => {});
      return false;
    });

    test.each(fixtures)('%s: every step equals Neutron\'s agent', (f) => {
      const fx = loadSteps(f);
      const ours = replay(b, fx, agent);
      const fresh = replay(b, fx, (t) => b.create(t));
      expect(ours.length).toBe(fx.steps.length);
      tally.fixtures++;
      ours.forEach((s, i) => {
        const expected = JSON.stringify(fx.steps[i]);
        tally.steps++;
        tally.freshSync += Number(JSON.stringify(fresh[i]) === expected);
        if (JSON.stringify(s) === expected) return void tally.matched++;
        const kind = EXPECTED_DIVERGENCES.find((d) => d.explains(s, fx.steps[i]));
        if (kind) explained.get(kind.kind)!.push(`${f} step ${i}`);
        else expect(s, `${f} step ${i}`).toEqual(fx.steps[i]);
      });
    });

    for (const { kind } of EXPECTED_DIVERGENCES) {
      test(`declared divergence "${kind}" still occurs`, () => expect(explained.get(kind)!.length, 'it explains no step any more: remove it').toBeGreaterThan(0));
    }

    afterAll(() => {
      const declared = [...explained].map(([kind, steps]) => `${steps.length} of kind "${kind}" (${steps.join(', ')})`).join('; ');
      console.log(`${b.name}: agent steps: ${tally.fixtures} fixtures, ${tally.steps} steps; ${tally.matched} equal Neutron's agent byte for byte; `
        + `declared divergences: ${declared || 'none'}; a fresh sync of each step's topology would equal ${tally.freshSync}`);
    });
  });
}
