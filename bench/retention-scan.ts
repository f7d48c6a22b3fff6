/**
 * What one retention sweep's claims cost on a large mailbox table (api/src/retention/repo.ts), so a
 * sweep that finds nothing stays cheap as the table grows (docs/PERFORMANCE.md, "Retention sweep"):
 *
 *   E2A_BENCH_DATABASE_URL=postgres://… npx tsx --conditions=e2a-source bench/retention-scan.ts [--messages 200000] [--agents 50]
 *
 * Fills a fresh PostgreSQL database with one account (30-day retention), its agents and messages
 * received over the last 29 days (1% of them in the trash), then times dueForRetention with nothing
 * due, with a 20-day period (about a third due), and dueForPurge: best of five, one batch of 500.
 * Figures, not a test.
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../api/src/db/database.js';
import { migrate } from '../api/src/db/migrator.js';
import { dueForPurge, dueForRetention } from '../api/src/retention/repo.js';
import { createFreshPostgres } from './bench-database.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '200000' }, agents: { type: 'string', default: '50' } } });
const messages = Number(values.messages);
const agents = Number(values.agents);

const fresh = await createFreshPostgres();
const handle = await openDatabase({ url: fresh.url, dataDir: null, poolSize: 2 });
try {
  await migrate(handle);
  const db = handle.db;
  await sql`INSERT INTO users (id, email, retention_days) VALUES ('usr_1', 'owner@example.com', 30)`.execute(db);
  await sql`INSERT INTO agents (id, user_id, address, domain) SELECT 'agt_' || g, 'usr_1', 'a' || g || '@x.test', 'x.test' FROM generate_series(1, ${agents}::int) g`.execute(db);
  await sql`INSERT INTO conversations (id, agent_id) SELECT 'conv_' || g, 'agt_' || (g % ${agents}::int + 1) FROM generate_series(1, ${messages}::int) g`.execute(db);
  await sql`INSERT INTO message_blobs (id, created_at) SELECT 'blob_' || g, now() FROM generate_series(1, ${messages}::int) g`.execute(db);
  await sql`INSERT INTO messages (id, agent_id, conversation_id, direction, status, dedupe_key, content_hash, blob_id, size_bytes, received_at, deleted_at)
            SELECT 'msg_' || lpad(g::text, 9, '0'), 'agt_' || (g % ${agents}::int + 1), 'conv_' || g, 'inbound', 'received', 'd' || g, 'h', 'blob_' || g, 100,
                   now() - (g::float / ${messages}::int * interval '29 days'), CASE WHEN g % 100 = 0 THEN now() - interval '1 day' END
              FROM generate_series(1, ${messages}::int) g`.execute(db);
  await sql`ANALYZE`.execute(db);
  const now = new Date();
  const time = async (label: string, claim: () => Promise<unknown[]>) => {
    const runs: number[] = [];
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      rows = (await claim()).length;
      runs.push(performance.now() - start);
    }
    process.stdout.write(`${label.padEnd(36)} ${Math.min(...runs).toFixed(1).padStart(7)} ms  ${rows} rows\n`);
  };
  process.stdout.write(`${messages} messages, ${agents} agents, batch 500, best of 5\n`);
  await time('dueForRetention, nothing due', () => db.transaction().execute((tx) => dueForRetention(tx, now, 500)));
  await sql`UPDATE users SET retention_days = 20`.execute(db);
  await time('dueForRetention, a third due', () => db.transaction().execute((tx) => dueForRetention(tx, now, 500)));
  await time('dueForPurge, 1% in the trash', () => db.transaction().execute((tx) => dueForPurge(tx, new Date(now.getTime() - 3_600_000), 500)));
} finally {
  await handle.close();
  await fresh.drop();
}
