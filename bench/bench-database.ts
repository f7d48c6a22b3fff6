/**
 * Which engines a bench run covers and a fresh PostgreSQL database for each run, so figures never
 * include rows (and index bloat) left by an earlier run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type Engine = 'pglite' | 'postgres';

/** The server a PostgreSQL run creates its database on: E2A_BENCH_DATABASE_URL, else TEST_DATABASE_URL. */
export function postgresServerUrl(): string {
  return process.env.E2A_BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || '';
}

/** `--engine both` (the default when a server URL is known) or one of them. */
export function resolveEngines(flag: string | undefined): Engine[] {
  const choice = flag ?? (postgresServerUrl() ? 'both' : 'pglite');
  if (choice === 'both') return ['pglite', 'postgres'];
  if (choice === 'pglite' || choice === 'postgres') return [choice];
  throw new Error(`--engine must be pglite, postgres or both, not ${choice}`);
}

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createFreshPostgres(): Promise<FreshDatabase> {
  const server = postgresServerUrl();
  if (!server) {
    throw new Error('--engine postgres needs E2A_BENCH_DATABASE_URL (or TEST_DATABASE_URL), e.g. postgres://root@127.0.0.1:5432/test');
  }
  const name = `e2a_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(server, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function withAdmin(server: string, fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
