/**
 * `exposure -f raw`: the whole answer as JSON Lines, written as it is computed. The first line
 * names the format; then each origin (a rule's prefix or remote group, a member, an unfiltered
 * port) is a line of its own, `{"origin": ID, ...}` with its `via` text, written once, before the
 * first row that names it; each row is a line keyed as the HTTP API's rows, its `origins` the IDs.
 * bench/audit at 100,000 ports: each row with its origins whole, indented, was 2.8 GB of text,
 * most of it the same origins again, and writing it was most of the run.
 */
import { type ExposureSource } from '../answers.js';
import { portRef } from '../cloud.js';
import { type PortExposure } from '../exposure.js';
import { explainedSource } from './explain.js';

export const EXPOSURE_LINES = 'portsec exposure lines 1';

/** The text, a port at a time (its rows, after the origins they name first). */
export function* exposureLines(ports: Iterable<PortExposure>, options: { members: boolean }): Generator<string> {
  yield `${JSON.stringify({ format: EXPOSURE_LINES, members: options.members })}\n`;
  const ids = new Map<ExposureSource, number>();
  // rows of ports that share services (exposure.ts) share their lists: each list's text is made once
  // (bench/audit at 100,000 ports: a row's whole text kept instead took peak RSS from 1.15 to 1.4 GB)
  const listTexts = new WeakMap<readonly unknown[], string>();
  const text = (list: readonly unknown[], make: () => string) => {
    let t = listTexts.get(list);
    if (t === undefined) listTexts.set(list, (t = make()));
    return t;
  };
  for (const { port, services } of ports) {
    let out = '';
    const head = `{"port":${JSON.stringify(portRef(port))}`;
    for (const x of services) {
      const origins = text(x.origins, () => JSON.stringify(x.origins.map((o) => {
        let id = ids.get(o);
        if (id === undefined) {
          ids.set(o, (id = ids.size + 1));
          out += `${JSON.stringify({ origin: id, ...explainedSource(o) })}\n`;
        }
        return id;
      })));
      // the keys and their order of ExposureRow, as JSON.stringify would write the row with its origins' ids
      out += `${head},"ethertype":"${x.ethertype}","protocol":${JSON.stringify(x.protocol)},"ports":${JSON.stringify(x.ports)},"sources":${text(x.sources, () => JSON.stringify(x.sources))},"origins":${origins},"backend":"${x.backend}"}\n`;
    }
    yield out;
  }
}
