import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{relay,api,sdk-ts,cli,dashboard}/src/**/*.test.ts'],
    // Protocol and database tests open real sockets and databases; two cores share them.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
