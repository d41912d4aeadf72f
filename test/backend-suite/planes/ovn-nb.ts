/**
 * The ovn backend's dataplane load: its nbctl format (one ovn-nbctl transaction) loads
 * into a fresh Northbound ovsdb-server (Debian's, with OVN's schema), whose constraints
 * it must meet, and the database reads back as the fixture's rows: the initial rows, and
 * the final ones (the node after the events) loaded afresh. A database takes most of a
 * second to start, so it loads the samples and every fixture with a virtual port.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { type OvnNorthbound } from '../../../src/backends/ovn/backend.js';
import { FORMATS } from '../../../src/backends/ovn/formats.js';
import { applyEvent, type Event, parseEvent } from '../../../src/policy/events.js';
import { parseTopology } from '../../../src/policy/topology.js';
import { readBack, startOvnNb } from '../../support/ovn-nb.js';
import { type PlaneLoad } from '../dataplane-load.js';

/** The backend's nbctl script, run against a fresh database: what it holds then. */
export async function loadedRows(nb: OvnNorthbound): Promise<unknown> {
  let script = '';
  FORMATS.nbctl.write(nb, (t) => (script += t));
  return loadScript(script);
}

/** A shell script of ovn-nbctl commands (OVN_NB_DB names the database), run against a fresh database: what it holds then. */
export async function loadScript(script: string): Promise<unknown> {
  const db = await startOvnNb();
  try {
    await promisify(execFile)('sh', ['-c', script], { env: { ...process.env, OVN_NB_DB: db.remote } });
    return await readBack(db);
  } finally {
    await db.stop();
  }
}

export const NB_LOAD: PlaneLoad<OvnNorthbound> = {
  part: 'unit',
  title: 'ovn-nbctl loads the rows into a Northbound database, which reads back equal',
  variants: [''],
  takes: (f, fx) => f.startsWith('sample-') || JSON.stringify(fx.initial).includes('"type":"virtual"'),
  timeout: 30_000,
  load: async (b, _f, fx) => {
    const { events = [], ...initial } = fx.input as { events?: Event[] };
    let topology = parseTopology(initial);
    const node = b.create(topology);
    expect(await loadedRows(node), 'the initial rows').toEqual(fx.initial);
    if (!events.length) return;
    for (const raw of events) {
      const e = parseEvent(topology, raw);
      topology = applyEvent(topology, e);
      node.apply(e);
    }
    expect(await loadedRows(node), 'the rows after the events').toEqual(fx.final);
  },
};
