// What the fixture generators (make-fixtures.mjs, make-ovs-fixtures.mjs, make-ovn-fixtures.mjs)
// share: their command line and their bounded pool of harness runs.

import path from 'node:path';

/** --count N --seed S --jobs 1|2 --no-samples --only I,J --out DIR --python P */
export function parseFixtureArgs(argv, defaultOut) {
  const a = { count: 200, seed: 1, jobs: 2, samples: true, out: defaultOut, python: '/usr/bin/python3' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--count') a.count = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--jobs') a.jobs = Math.max(1, Math.min(2, Number(v())));
    else if (k === '--no-samples') a.samples = false;
    else if (k === '--only') a.only = v().split(',').map(Number);
    else if (k === '--out') a.out = path.resolve(v());
    else if (k === '--python') a.python = v();
    else throw new Error(`unknown argument ${k}`);
  }
  if (!Number.isInteger(a.count) || a.count < 0) throw new Error('--count must be an integer >= 0');
  if (!Number.isInteger(a.seed)) throw new Error('--seed must be an integer');
  return a;
}

/**
 * Run `tasks` (functions returning promises) with at most `n` at a time. A task
 * fails by throwing a `HarnessError` or by resolving to a list of failure
 * messages; each is logged; the messages are returned. Other errors propagate.
 */
export async function pool(tasks, n, HarnessError) {
  const failures = [];
  const fail = (message) => {
    failures.push(message);
    console.error(`FAIL ${message}`);
  };
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const t = tasks[next++];
      try {
        ((await t()) ?? []).forEach(fail);
      } catch (e) {
        if (!(e instanceof HarnessError)) throw e;
        fail(e.message);
      }
    }
  }
  await Promise.all(Array.from({ length: n }, worker));
  return failures;
}
