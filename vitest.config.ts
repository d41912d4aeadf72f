import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // the suites share the machine's namespaces and ports: one file at a time
    fileParallelism: false,
  },
});
