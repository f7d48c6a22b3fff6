/**
 * Which engines a bench run covers and a fresh PostgreSQL database for each run, so figures never
 * include rows (and index bloat) left by an earlier run.
 */
import { createPostgresDatabase, type Engine } from '../api/src/testing/databases.js';

export type { Engine };

/** The server a PostgreSQL run creates its database on: E2A_BENCH_DATABASE_URL, else TEST_DATABASE_URL. */
function postgresServerUrl(): string {
  return process.env.E2A_BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || '';
}

/** `--engine both` (the default when a server URL is known) or one of them. */
export function resolveEngines(flag: string | undefined): Engine[] {
  const choice = flag ?? (postgresServerUrl() ? 'both' : 'pglite');
  if (choice === 'both') return ['pglite', 'postgres'];
  if (choice === 'pglite' || choice === 'postgres') return [choice];
  throw new Error(`--engine must be pglite, postgres or both, not ${choice}`);
}

export async function createFreshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = postgresServerUrl();
  if (!server) {
    throw new Error('--engine postgres needs E2A_BENCH_DATABASE_URL (or TEST_DATABASE_URL), e.g. postgres://root@127.0.0.1:5432/test');
  }
  return createPostgresDatabase(server, 'e2a_bench');
}
