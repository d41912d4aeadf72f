import { defineConfig } from 'vitest/config';
import { ROOT_SUITE_SUFFIX } from './test/support/root-suites.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // `npm run test:unit`: what runs without root
    exclude: process.env.PORTSEC_UNIT ? [`test/**/*${ROOT_SUITE_SUFFIX}`] : [],
    setupFiles: ['test/support/needs-root.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // the suites share the machine's namespaces and ports: one file at a time
    fileParallelism: false,
  },
});
