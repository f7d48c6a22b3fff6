/**
 * Every database test runs on PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set (CI sets
 * it). Each PostgreSQL test database is created fresh and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrate } from '../db/migrator.js';

export type Engine = 'pglite' | 'postgres';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';

/** The engines this run covers: always PGlite, PostgreSQL when TEST_DATABASE_URL is set. */
export const ENGINES: Engine[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  handle: DatabaseHandle;
  /** postgres://… of the fresh database, or '' for PGlite. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty PostgreSQL database on `server` (the TEST_DATABASE_URL one unless given), named
 * `<prefix>_<random>`; returns its URL.
 */
export async function createPostgresDatabase(server = TEST_DATABASE_URL, prefix = 'e2a_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
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

export async function openTestDatabase(engine: Engine, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const handle = await openDatabase({ url: '', dataDir: null });
    if (options.migrate !== false) await migrate(handle);
    return { handle, url: '', drop: () => handle.close() };
  }
  const created = await createPostgresDatabase();
  const handle = await openDatabase({ url: created.url, dataDir: null, poolSize: 5 });
  if (options.migrate !== false) await migrate(handle);
  return {
    handle,
    url: created.url,
    drop: async () => {
      await handle.close();
      await created.drop();
    },
  };
}
