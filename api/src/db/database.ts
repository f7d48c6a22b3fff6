/**
 * The database handle: kysely over PostgreSQL (`database.url` set) or over embedded PGlite in
 * `data_dir/pg` (kysely's own PGliteDialect). Same SQL, same migrations on both. On PostgreSQL,
 * parameterised queries run as named prepared statements (see prepared-statements.ts); on PGlite,
 * the database runs on a thread of its own (pglite-thread.ts) and commits are fsynced unless
 * `embeddedFsync` is off (see durable-node-fs.ts).
 */
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { startEmbeddedThread, type EmbeddedDatabase } from './pglite-thread.js';
import { preparedStatements } from './prepared-statements.js';
import { isDatabaseUnavailable } from './unavailable.js';
import type { DB } from './schema.js';

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  engine: 'pglite' | 'postgres';
  /** For LISTEN/NOTIFY and diagnostics: the connection string, or null on PGlite. */
  url: string | null;
  /** The embedded database (on its own thread), or null on PostgreSQL. */
  pglite: EmbeddedDatabase | null;
  /** The PostgreSQL pool's counters (for /metrics); absent on PGlite. */
  pool?: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://… or empty for PGlite. */
  url: string;
  /** PGlite data directory; null keeps it in memory (tests). */
  dataDir: string | null;
  poolSize?: number;
  /**
   * PGlite only: fsync the WAL at every commit, so a committed message survives an OS crash or
   * power cut (config `database.embedded_fsync`). Default true.
   */
  embeddedFsync?: boolean;
}

/**
 * Settings of every PostgreSQL connection, the pool's and the event bus's LISTEN one.
 * - connectionTimeoutMillis: how long a connection attempt (and, in the pool, the wait for a free
 *   connection) may take before the statement fails as "database unavailable". Without a bound, a
 *   server gone without a reset (a failover behind a dead address) would hold every SMTP
 *   transaction and HTTP request until the kernel's TCP timeout, minutes later.
 * - keepAlive: TCP keepalive, so a peer that vanished is noticed on idle connections too.
 */
export const CONNECTION_OPTIONS = {
  connectionTimeoutMillis: 10_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const satisfies pg.ClientConfig;

// node-postgres returns int8 as string by default; counts and sequence numbers here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      ...CONNECTION_OPTIONS,
    });
    // A connection the server drops (restart, failover, pg_terminate_backend) emits 'error'. An idle
    // one's reaches the pool, which discards it. A checked-out one's reaches only the client, whose
    // idle listener pg-pool removes while it is lent out (pg-pool `_acquireClient`): without a
    // listener of its own the event would kill the process. The statement in flight already failed
    // with the same error (its SMTP transaction answers 451, its HTTP request 503), and pg marks the
    // client not queryable, so the pool drops it on release and connects afresh for the next one.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      preparedStatements(client);
      endOnConnectionLoss(client);
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    await sql`select 1`.execute(db);
    return { db, engine: 'postgres', url: options.url, pglite: null, pool, close: () => db.destroy() };
  }
  // On a thread of its own (pglite-thread.ts): its WebAssembly never holds the event loop.
  const pglite = await startEmbeddedThread({ dataDir: options.dataDir, fsync: options.embeddedFsync !== false });
  // kysely's PGliteDialect uses only what EmbeddedDatabase has (query, transaction, close, ready).
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite: pglite as unknown as PGlite }) });
  return { db, engine: 'pglite', url: null, pglite, close: () => db.destroy() };
}

/**
 * A statement failed because its connection is gone (57P01 from pg_terminate_backend, a reset): the
 * statement rejects before the socket's end is read, and pg still counts the client queryable when
 * kysely hands it back, so the pool would lend the dead connection to the next statement. Ending it
 * here, before the caller's release (this handler is attached first, so it runs first), makes the
 * pool discard it: only the statement in flight fails.
 */
function endOnConnectionLoss(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (isDatabaseUnavailable(err) || (err as { severity?: string }).severity === 'FATAL') void client.end().catch(() => {});
      });
    }
    return result;
  };
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
  return (value === null ? null : wellFormed(value).replaceAll('\0', '\uFFFD')) as T;
}

/**
 * A lone UTF-16 surrogate (a MIME word in UTF-16 cut in half decodes to one) has no UTF-8 form:
 * JSON.stringify writes it as a `\udXXX` escape that jsonb refuses (SQLSTATE 22P02), on every retry
 * of the same mail. It becomes U+FFFD like any undecodable character; the raw message keeps the bytes.
 */
function wellFormed(value: string): string {
  return (value as string & { toWellFormed(): string }).toWellFormed();
}

/** jsonb parameters are sent as text; both drivers parse jsonb results. */
export function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? pgText(v) : v));
}
