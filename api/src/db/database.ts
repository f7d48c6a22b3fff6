/**
 * The database handle: kysely over PostgreSQL (`database.url` set) or over embedded PGlite in
 * `data_dir/pg` (kysely's own PGliteDialect). Same SQL, same migrations on both. On PostgreSQL,
 * parameterised queries run as named prepared statements (see prepared-statements.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, types, type PGliteOptions } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { preparedStatements } from './prepared-statements.js';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  engine: 'pglite' | 'postgres';
  /** For LISTEN/NOTIFY and diagnostics: the connection string, or null on PGlite. */
  url: string | null;
  pglite: PGlite | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… or empty for PGlite. */
  url: string;
  /** PGlite data directory; null keeps it in memory (tests). */
  dataDir: string | null;
  poolSize?: number;
}

// node-postgres returns int8 as string by default; counts and sequence numbers here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * PGlite's own bytea conversion goes through one JS array element and one string per byte: a
 * 20 MiB message took seconds and a gigabyte. Buffer's hex codec does the same job natively.
 */
const PGLITE_OPTIONS: PGliteOptions = {
  serializers: {
    [types.BYTEA]: (value: Uint8Array) => `\\x${toBuffer(value).toString('hex')}`,
  },
  parsers: {
    [types.BYTEA]: (value: string) => Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex'),
  },
};

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle client's network error must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    pool.on('connect', (client) => preparedStatements(client));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    await sql`select 1`.execute(db);
    return { db, engine: 'postgres', url: options.url, pglite: null, close: () => db.destroy() };
  }
  let pglite: PGlite;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    pglite = await PGlite.create(join(options.dataDir, 'pg'), PGLITE_OPTIONS);
  } else {
    pglite = await PGlite.create(PGLITE_OPTIONS);
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return { db, engine: 'pglite', url: null, pglite, close: () => db.destroy() };
}

/** bytea comes back as Buffer from pg and as Uint8Array from PGlite. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and mail from the wild can carry NUL in any header.
 * Such a character becomes U+FFFD in stored metadata; the raw bytes keep the original.
 */
export function pgText<T extends string | null>(value: T): T {
  return (value === null ? null : value.replaceAll('\0', '\uFFFD')) as T;
}

/** jsonb parameters are sent as text; both drivers parse jsonb results. */
export function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? pgText(v) : v));
}
