/**
 * Progress of a long import on stderr: objects read so far per resource. On a
 * terminal one line is redrawn in place and cleared at the end; elsewhere (when
 * asked for, e.g. in CI logs) each update is a line of its own.
 */
export interface Progress {
  /** `n` objects of `what` read so far */
  count(what: string, n: number): void;
  done(): void;
}

export const NO_PROGRESS: Progress = { count() {}, done() {} };

/** redraws on a terminal at most this often */
const REDRAW_MS = 100;

export function progressOn(stream: NodeJS.WritableStream & { isTTY?: boolean }, title: string): Progress {
  const counts = new Map<string, number>();
  const line = () => `portsec: ${title}: ${[...counts].map(([what, n]) => `${what} ${n}`).join(', ')}`;
  if (!stream.isTTY) {
    return {
      count(what, n) {
        if (counts.get(what) === n) return;
        counts.set(what, n);
        stream.write(`${line()}\n`);
      },
      done() {},
    };
  }
  let drawn = 0;
  return {
    count(what, n) {
      counts.set(what, n);
      if (Date.now() - drawn < REDRAW_MS) return;
      drawn = Date.now();
      stream.write(`\r\x1b[K${line()}`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
