// The openvswitch golden fixtures (test/fixtures/golden-ovs): well formed,
// their inputs still what the generator and the iptables samples give, and a
// few of them still what Neutron's OVSFirewallDriver gives (harness re-run).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyEvents, generateTopology, withDriver, withoutEvents, type Topology } from './topology-generator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(here, '../fixtures/golden-ovs');
const goldenDir = path.resolve(here, '../fixtures/golden');
const harness = path.join(here, 'neutron_ovs_driver.py');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const randoms = files.filter((f) => f.startsWith('random-'));
const samples = files.filter((f) => f.startsWith('sample-'));

interface Flows {
  flows: string[];
}
interface Fixture {
  seed: number | null;
  sample?: string;
  input: Topology;
  initial: Flows;
  final: Flows | null;
}

const read = (f: string): Fixture => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const text = (fx: Fixture) => JSON.stringify(fx, null, 1) + '\n';

/** (table, -priority, text): the order the harness prints flows in */
function order(flow: string): [number, number, string] {
  const num = (k: string) => Number(new RegExp(`(?:^|,)${k}=(\\d+)`).exec(flow.split(',actions=')[0])?.[1] ?? NaN);
  return [num('table'), -num('priority'), flow];
}

function expectFlows(r: Flows | null, where: string) {
  expect(Array.isArray(r?.flows), `${where}.flows`).toBe(true);
  const keys = r!.flows.map(order);
  for (const [i, [table, prio]] of keys.entries()) {
    expect(Number.isInteger(table) && Number.isInteger(prio), `${where}[${i}] table/priority`).toBe(true);
    expect(r!.flows[i], `${where}[${i}] actions`).toMatch(/,actions=./);
  }
  for (let i = 1; i < keys.length; i++) {
    const [a, b] = [keys[i - 1], keys[i]];
    const cmp = a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
    expect(cmp, `${where}: flows ${i - 1} and ${i} out of order or repeated`).toBeLessThan(0);
  }
}

describe('openvswitch golden fixtures', () => {
  it('has at least 200 random fixtures and every iptables sample re-run', () => {
    expect(randoms.length).toBeGreaterThanOrEqual(200);
    const goldenSamples = fs.readdirSync(goldenDir).filter((f) => f.startsWith('sample-') && f.endsWith('.json'));
    expect(samples).toEqual(goldenSamples.sort());
  });

  it('every fixture is well formed and its input reproducible', () => {
    for (const f of files) {
      const fx = read(f);
      expect(fx.input.options.driver, `${f}: driver`).toBe('openvswitch');
      expectFlows(fx.initial, `${f}: initial`);
      if (fx.input.events?.length) expectFlows(fx.final, `${f}: final`);
      else expect(fx.final, `${f}: final`).toBeNull();
      if (f.startsWith('random-')) {
        expect(Number.isInteger(fx.seed), `${f}: seed`).toBe(true);
        expect(fx.input, `${f}: generator drifted`).toEqual(withDriver(generateTopology(fx.seed!), 'openvswitch'));
      } else {
        const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, f), 'utf8'));
        expect(fx.sample, `${f}: sample`).toBe(golden.sample);
        expect(fx.input, `${f}: not the iptables sample's input`).toEqual(withDriver(golden.input, 'openvswitch'));
      }
    }
  });

  it('a few fixtures come back byte for byte from the harness', () => {
    const withEvents = (f: string) => (read(f).input.events?.length ?? 0) > 0;
    const picked = [
      randoms[0],
      randoms.find(withEvents)!,
      samples.find(withEvents)!,
    ];
    const runs = picked.map((f) => {
      const { input } = read(f);
      return input.events?.length ? [withoutEvents(input), applyEvents(input), input] : [withoutEvents(input)];
    });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ovs-fixtures-'));
    try {
      const batchFile = path.join(tmp, 'batch.json');
      fs.writeFileSync(batchFile, JSON.stringify(runs.flat()));
      const results = JSON.parse(
        execFileSync('/usr/bin/python3', [harness, '--batch', batchFile], { encoding: 'utf8', maxBuffer: 1 << 28 }),
      ) as (Flows | { exit: number; error: string })[];
      let k = 0;
      for (const [i, f] of picked.entries()) {
        const [initial, final = null, replay] = results.slice(k, (k += runs[i].length));
        for (const r of [initial, final, replay]) expect(r && 'exit' in r ? r : null, `${f}: harness refused`).toBeNull();
        const fx = read(f);
        const again = { ...fx, initial: initial as Flows, final: final as Flows | null };
        expect(text(again), `${f}: harness output changed`).toBe(fs.readFileSync(path.join(dir, f), 'utf8'));
      }
      // one run on its own gives what the batch gave
      const single = path.join(tmp, 'single.json');
      fs.writeFileSync(single, JSON.stringify(runs[0][0]));
      const alone = JSON.parse(execFileSync('/usr/bin/python3', [harness, single], { encoding: 'utf8', maxBuffer: 1 << 28 }));
      expect(alone).toEqual(results[0]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
