/**
 * Root suites (root-suites.ts) build compute nodes in network namespaces and load
 * real iptables: without root they fail, with one line saying so, rather than skip
 * (a non-root `npm test` must never look green). `npm run test:unit` leaves them out.
 */
import { beforeAll } from 'vitest';
import { isRoot } from './netns.js';
import { ROOT_SUITE_SUFFIX } from './root-suites.js';

// vitest 4 hands fixtures first (destructured) and the suite second
beforeAll(({}, suite) => {
  const file = 'filepath' in suite ? suite.filepath : suite.file.filepath;
  if (file.endsWith(ROOT_SUITE_SUFFIX) && !isRoot()) {
    throw new Error(`${file.replace(/.*\/test\//, 'test/')} needs root (network namespaces, iptables): run the tests as root, or npm run test:unit for the rest`);
  }
});
