/**
 * The agent-step fixtures (test/fixtures/agent-steps, made by test/golden/make-agent-steps.mjs
 * from Neutron 21's agent): well formed, complete, reproducible from their seeds, and setting
 * off every quirk of the agent's state. The backend is compared with them step by step in the
 * backend suite's "agent steps" case (test/backend-suite/agent-steps.ts, run by
 * test/backends/iptables.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadSteps, STEP_FILES, stepsInput } from './backend-suite/agent-steps.js';
import { generateSequence } from './golden/agent-steps-generator.mjs';

const GOLDEN = join(import.meta.dirname, 'fixtures/golden');
const randoms = STEP_FILES.filter((f) => f.startsWith('random-'));

type Trigger = 'pair change' | 'duplicate member' | 'more than 20 local ports' | 'ipset off' | 'owner turned network:*' | 'stateless groups';
type Port = Record<string, any>;

/** What in a sequence can set off each quirk of the agent's state. */
function triggers(input: Record<string, any>): Set<Trigger> {
  const out = new Set<Trigger>();
  const ports = new Map<string, Port>(input.ports.map((p: Port) => [p.id, p]));
  const pairsOf = (p: Port): string[] => (p.allowed_address_pairs ?? []).map((a: { ip_address: string }) => a.ip_address);
  // an address two ports' pairs hold, or a pair equal to the port's own fixed IP
  const duplicates = () => {
    const seen = new Set<string>();
    for (const p of ports.values()) {
      const own = (p.fixed_ips ?? []).map((f: { ip_address: string }) => f.ip_address);
      for (const ip of new Set(pairsOf(p))) {
        if (own.includes(ip) || seen.has(ip)) return true;
        seen.add(ip);
      }
    }
    return false;
  };
  if (input.options?.enable_ipset === false) out.add('ipset off');
  if (input.security_groups.some((g: Record<string, any>) => g.stateful === false)) out.add('stateless groups');
  if (input.ports.filter((p: Port) => p.local !== false).length > 20) out.add('more than 20 local ports');
  if (duplicates()) out.add('duplicate member');
  for (const e of input.events ?? []) {
    if (e.op === 'remove_port') ports.delete(e.id);
    if (e.op !== 'add_port' && e.op !== 'update_port') continue;
    const old = ports.get(e.port.id);
    if (old && JSON.stringify(pairsOf(old)) !== JSON.stringify(pairsOf(e.port))) out.add('pair change');
    if (old && !old.device_owner?.startsWith('network:') && e.port.device_owner?.startsWith('network:')) out.add('owner turned network:*');
    ports.set(e.port.id, e.port);
    if (duplicates()) out.add('duplicate member');
  }
  return out;
}

describe('agent-step fixtures', () => {
  test('at least 100 random sequences, the samples, and every golden fixture with events', () => {
    expect(randoms.length).toBeGreaterThanOrEqual(100);
    expect(STEP_FILES.filter((f) => f.startsWith('sample-')).length).toBeGreaterThanOrEqual(10);
    const golden = readdirSync(GOLDEN).filter((f) => f.endsWith('.json') && JSON.parse(readFileSync(join(GOLDEN, f), 'utf8')).input.events?.length);
    expect(STEP_FILES.filter((f) => f.startsWith('golden-'))).toEqual(golden.map((f) => `golden-${f}`).sort());
  });

  test('every fixture has one state per step, and the generator still gives each random input', () => {
    for (const f of STEP_FILES) {
      const fx = loadSteps(f);
      const input = stepsInput(fx);
      expect(fx.steps.length, f).toBe((input.events?.length ?? 0) + 1);
      for (const s of fx.steps) expect([typeof s.ipset_restore, typeof s.iptables_save.IPv4, typeof s.iptables_save.IPv6], f).toEqual(['string', 'string', 'string']);
      if (f.startsWith('random-')) expect(generateSequence(fx.seed!), `${f}: generator drifted`).toEqual(fx.input);
    }
  });

  test('the random sequences set off every quirk, each in at least 10 of them', () => {
    const counts = new Map<Trigger, number>();
    for (const f of randoms) for (const t of triggers(loadSteps(f).input!)) counts.set(t, (counts.get(t) ?? 0) + 1);
    console.log(`${randoms.length} random sequences by trigger: ${[...counts].map(([t, n]) => `${t} ${n}`).join(', ')}`);
    for (const t of ['pair change', 'duplicate member', 'more than 20 local ports', 'ipset off', 'owner turned network:*', 'stateless groups'] as const) {
      expect(counts.get(t) ?? 0, t).toBeGreaterThanOrEqual(10);
    }
  });
});
