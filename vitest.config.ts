import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run the TypeScript sources: `@e2a/relay`, `@e2a/sdk/wire`… resolve through the `e2a-source`
  // export condition to src/, never to a dist/ that may predate the last edit (docs/ARCHITECTURE.md,
  // "Build"). Node itself, without the condition, gets dist/.
  ssr: { resolve: { conditions: ['e2a-source', ...defaultServerConditions] } },
  test: {
    include: ['{relay,api,sdk-ts,cli,dashboard}/src/**/*.test.ts', 'testing/**/*.test.ts'],
    // Protocol and database tests open real sockets and databases; two cores share them.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './testing/summary-reporter.ts'],
  },
});
