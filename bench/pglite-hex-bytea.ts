/**
 * EXPERIMENT, not the product: `--experiment pglite-hex-bytea` opens PGlite the way the gateway
 * does (api/src/db/database.ts) but with a bytea serializer built on Buffer#toString('hex').
 * PGlite 0.5's default serializer is `Array.from(bytes).map(b => b.toString(16).padStart(2, '0'))
 * .join('')`: one JS array element and one string per byte. This measures what replacing it would
 * buy, so the change can be judged on numbers before anyone edits database.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { Kysely, PGliteDialect } from 'kysely';
import type { DatabaseHandle } from '../api/src/db/database.js';
import type { DB } from '../api/src/db/schema.js';

export async function openPgliteWithHexBytea(dataDir: string): Promise<DatabaseHandle> {
  mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(join(dataDir, 'pg'), {
    serializers: {
      [types.BYTEA]: (value: Uint8Array) => `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`,
    },
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) });
  return { db, engine: 'pglite', url: null, pglite, close: () => db.destroy() };
}
