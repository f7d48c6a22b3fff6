import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{relay,api,sdk-ts,cli,dashboard}/src/**/*.test.ts'],
    // Protocol and database tests open real sockets and databases; two cores share them.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
