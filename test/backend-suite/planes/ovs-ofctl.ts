/**
 * The openvswitch backend's dataplane load, as far as it goes without a switch: Debian's
 * `ovs-ofctl parse-flows` reads every state of every fixture (the initial sync and the
 * node after each event) as `portsec compile --format flows` prints it, one FLOW_MOD ADD a
 * flow. Loading into a running ovs-vswitchd is test/backend-suite/planes/ovs-trace.ts's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type OvsNode } from '../../../src/backends/openvswitch/backend.js';
import { FORMATS } from '../../../src/backends/openvswitch/formats.js';
import { applyEvent, type Event, parseEvent } from '../../../src/policy/events.js';
import { parseTopology } from '../../../src/policy/topology.js';
import { type PlaneLoad } from '../dataplane-load.js';

// Neutron writes a pair's MAC as the API stored it: a spelling Open vSwitch does not read
// (fa16.3e00.0005, FA-16-3E-00-00-05) makes ovs-ofctl refuse the port's batch, on a real node too
const REFUSED = new Set(['sample-h_address_spellings.json', 'sample-h_address_spellings_noipset.json']);

let tmp: string | undefined;

function expectParsed(f: string, node: OvsNode, what: string): void {
  tmp ??= mkdtempSync(join(tmpdir(), 'portsec-ovs-parse-'));
  const file = join(tmp, 'flows.txt');
  FORMATS.flows.write(node, (text) => writeFileSync(file, text));
  const r = spawnSync('ovs-ofctl', ['parse-flows', file], { encoding: 'utf8' });
  if (REFUSED.has(f)) {
    expect(r.status, what).toBe(1);
    expect(r.stderr, what).toMatch(/invalid Ethernet address/);
  } else {
    expect([r.status, r.stderr], what).toEqual([0, '']);
    expect(r.stdout.match(/^\S*FLOW_MOD.* ADD /gm)?.length, what).toBe(node.state.flows.length);
  }
}

export const OFCTL_PARSE: PlaneLoad<OvsNode> = {
  part: 'unit',
  title: 'ovs-ofctl parse-flows reads every state',
  variants: [''],
  cleanup: () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  },
  load: (b, f, fx) => {
    const { events = [], ...initial } = fx.input as { events?: Event[] };
    let topology = parseTopology(initial);
    const node = b.create(topology);
    expectParsed(f, node, 'the initial sync');
    for (const [i, raw] of events.entries()) {
      const e = parseEvent(topology, raw);
      topology = applyEvent(topology, e);
      node.apply(e);
      expectParsed(f, node, `after event ${i}`);
    }
  },
};
