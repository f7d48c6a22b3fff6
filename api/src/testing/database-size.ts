/** What the database holds on disk for our tables, for tests and benches that measure storage. */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';

/** Every byte of our tables (heap, TOAST, indexes): a measure no schema change can hide from. */
export async function tableBytes(db: Database): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`
    SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r'`.execute(db);
  return Number(rows[0]!.bytes);
}
