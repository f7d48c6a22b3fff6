/**
 * Applies migrations/NNNN_name.sql in order, each in its own transaction, recording name and
 * checksum in e2a_migrations. Written here rather than with kysely's Migrator because ours are
 * plain SQL files shared with operators, and a landed file's checksum must never change.
 *
 * Concurrency: replicas starting together serialise on a PostgreSQL advisory lock; PGlite has one
 * connection, so there is nobody to race.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database, DatabaseHandle } from './database.js';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/** Arbitrary constant: the advisory lock id for migrations ("e2a" in ASCII). */
const MIGRATION_LOCK_ID = 0x653261;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      return { name, sql: text, checksum: createHash('sha256').update(text).digest('hex') };
    });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file changed since (or vanished): never edit a landed migration. */
  mismatched: string[];
}

async function ensureTable(db: Database): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS e2a_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

async function status(db: Database, files: MigrationFile[]): Promise<MigrationStatus> {
  const rows = await db.selectFrom('e2a_migrations').select(['name', 'checksum']).orderBy('name').execute();
  const byName = new Map(files.map((f) => [f.name, f]));
  const appliedNames = new Set(rows.map((r) => r.name));
  return {
    applied: rows.map((r) => r.name),
    pending: files.filter((f) => !appliedNames.has(f.name)).map((f) => f.name),
    mismatched: rows.filter((r) => byName.get(r.name)?.checksum !== r.checksum).map((r) => r.name),
  };
}

export async function verifyMigrations(handle: DatabaseHandle, files = readMigrations()): Promise<MigrationStatus> {
  const exists = await sql<{ t: string | null }>`select to_regclass('e2a_migrations')::text as t`.execute(handle.db);
  if (!exists.rows[0]?.t) return { applied: [], pending: files.map((f) => f.name), mismatched: [] };
  return status(handle.db, files);
}

export async function migrate(handle: DatabaseHandle, files = readMigrations()): Promise<MigrationStatus> {
  return handle.db.connection().execute(async (conn) => {
    if (handle.engine === 'postgres') await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(conn);
    try {
      await ensureTable(conn);
      const before = await status(conn, files);
      if (before.mismatched.length > 0) {
        throw new Error(`migrations changed after they were applied: ${before.mismatched.join(', ')}; add a new migration instead of editing one`);
      }
      for (const file of files.filter((f) => before.pending.includes(f.name))) {
        // A file holds many statements: they need the simple query protocol (pg with no parameters)
        // or PGlite's exec(). Name and checksum are validated above ([0-9a-z_.] and hex).
        const script = `BEGIN;\n${file.sql}\n;INSERT INTO e2a_migrations (name, checksum) VALUES ('${file.name}', '${file.checksum}');\nCOMMIT;`;
        try {
          if (handle.pglite) await handle.pglite.exec(script);
          else await sql.raw(script).execute(conn);
        } catch (err) {
          if (handle.pglite) await handle.pglite.exec('ROLLBACK').catch(() => {});
          else await sql`ROLLBACK`.execute(conn).catch(() => {});
          throw new Error(`migration ${file.name} failed: ${(err as Error).message}`);
        }
      }
      return await status(conn, files);
    } finally {
      if (handle.engine === 'postgres') await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(conn);
    }
  });
}
