import { sql } from 'kysely';
import { openDatabase } from '../api/src/db/database.js';
import { migrate } from '../api/src/db/migrator.js';
const handle = await openDatabase({ url: '', dataDir: '/tmp/scratch/pgl', poolSize: 1, embeddedFsync: false });
const db = handle.db;
await migrate(handle);
const exists = await sql<{ n: string }>`SELECT count(*)::text AS n FROM messages`.execute(db);
if (exists.rows[0]!.n === '0') {
  await sql`INSERT INTO users (id, email) VALUES ('usr_1', 'a@b.c')`.execute(db);
  await sql`INSERT INTO agents (id, user_id, address, domain) VALUES ('agt_1', 'usr_1', 'bot@x.test', 'x.test'), ('agt_2', 'usr_1', 'other@x.test', 'x.test')`.execute(db);
  await sql`INSERT INTO message_blobs (id, created_at) SELECT 'blob_' || lpad(i::text, 8, '0'), now() FROM generate_series(1, 100000) i`.execute(db);
  await sql`INSERT INTO conversations (id, agent_id, subject, message_count) VALUES ('conv_1', 'agt_1', 's', 1)`.execute(db);
  await sql`INSERT INTO messages (id, agent_id, conversation_id, direction, status, dedupe_key, content_hash, subject, blob_id, size_bytes, received_at, search)
    SELECT 'msg_' || lpad(i::text, 8, '0'), 'agt_1', 'conv_1', 'inbound', 'received', i::text, i::text, 's', 'blob_' || lpad(i::text, 8, '0'), 1, now(),
      to_tsvector('simple', CASE WHEN i % 2 = 0 THEN 'common ' ELSE '' END || CASE WHEN i % 5000 = 0 THEN 'rare ' ELSE '' END || repeat('w' || (i % 977)::text || ' x' || (i % 131)::text || ' ', 60))
    FROM generate_series(1, 100000) i`.execute(db);
  console.log('seeded');
}
const q = process.argv[2] ?? 'rare';
const gucs = (process.argv[3] ?? '').split(',').filter(Boolean);
const stmt = process.argv[4] ?? 'cte';
const text = stmt === 'cte'
  ? `WITH matches AS MATERIALIZED (SELECT m.id FROM messages m WHERE m.agent_id = 'agt_1' AND m.held = false AND m.deleted_at IS NULL AND m.search @@ websearch_to_tsquery('simple', '${q}')) SELECT id FROM matches ORDER BY id DESC LIMIT 500`
  : `SELECT m.id FROM messages m WHERE m.agent_id = 'agt_1' AND m.held = false AND m.deleted_at IS NULL AND (m.search @@ websearch_to_tsquery('simple', '${q}')) IS TRUE ORDER BY m.id DESC LIMIT 500`;
await db.transaction().execute(async (tx) => {
  for (const g of gucs) await sql.raw(`SET LOCAL ${g}`).execute(tx);
  const t = performance.now();
  const r = await sql.raw<Record<string, string>>(`EXPLAIN (ANALYZE) ${text}`).execute(tx);
  console.log(r.rows.map((x) => Object.values(x)[0]).filter((l) => /Scan|Execution|Sort /.test(l!)).join('\n'), (performance.now() - t).toFixed(1));
});
await handle.close();
