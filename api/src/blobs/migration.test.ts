import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { migrate, readMigrations } from '../db/migrator.js';
import { ENGINES, openTestDatabase } from '../testing/databases.js';

const box = new SecretBox(Buffer.alloc(32, 3));
const BLOBS = '0004_message_blobs.sql';

/** A messages row in the shape migrations 0001–0003 left it: the bytes on the row itself. */
async function oldRow(
  db: Database,
  row: { id: string; agent: string; direction: 'inbound' | 'outbound'; queueId: string | null; hash: string; raw: string | null; text: string; attachment?: string },
): Promise<void> {
  await sql`INSERT INTO messages (id, agent_id, conversation_id, direction, status, queue_id, dedupe_key, content_hash, raw, text_body, html_body, size_bytes, attachment_count, received_at)
            VALUES (${row.id}, ${row.agent}, ${`conv_${row.agent}`}, ${row.direction}, 'received', ${row.queueId}, ${`dedupe ${row.id}`}, ${row.hash},
                    ${row.raw === null ? null : box.seal(row.raw)}, ${box.seal(row.text)}, ${box.seal(`<p>${row.text}</p>`)}, 10, ${row.attachment ? 1 : 0}, now())`.execute(db);
  if (row.attachment) {
    await sql`INSERT INTO attachments (message_id, idx, filename, content_type, size_bytes, disposition, sha256, content)
              VALUES (${row.id}, 0, 'a.bin', 'application/octet-stream', 3, 'attachment', 'x', ${box.seal(row.attachment)})`.execute(db);
  }
}

describe.each(ENGINES)(`migration ${BLOBS} moves existing bytes into blobs (%s)`, (engine) => {
  it('gives the copies of one acceptance one blob, every other message its own, and keeps every byte readable', async () => {
    const t = await openTestDatabase(engine, { migrate: false });
    try {
      const files = readMigrations();
      await migrate(t.handle, files.filter((f) => f.name < BLOBS));
      const db = t.handle.db;
      await sql`INSERT INTO users (id, email) VALUES ('usr_1', 'owner@example.com')`.execute(db);
      for (const agent of ['agt_a', 'agt_b']) {
        await sql`INSERT INTO agents (id, user_id, address, domain) VALUES (${agent}, 'usr_1', ${`${agent}@agents.test`}, 'agents.test')`.execute(db);
        await sql`INSERT INTO conversations (id, agent_id) VALUES (${`conv_${agent}`}, ${agent})`.execute(db);
      }
      // One acceptance to two agents (one queue id, one content hash), sealed per copy as before.
      await oldRow(db, { id: 'msg_01aaa', agent: 'agt_a', direction: 'inbound', queueId: 'q_1', hash: 'h1', raw: 'shared raw', text: 'shared', attachment: 'att' });
      await oldRow(db, { id: 'msg_01aab', agent: 'agt_b', direction: 'inbound', queueId: 'q_1', hash: 'h1', raw: 'shared raw', text: 'shared', attachment: 'att' });
      // Another acceptance for one of them, and an outbound message not composed yet.
      await oldRow(db, { id: 'msg_01aac', agent: 'agt_a', direction: 'inbound', queueId: 'q_2', hash: 'h2', raw: 'second raw', text: 'second' });
      await oldRow(db, { id: 'msg_01aad', agent: 'agt_b', direction: 'outbound', queueId: null, hash: 'h3', raw: null, text: 'draft', attachment: 'out' });

      await migrate(t.handle, files);

      const rows = await db
        .selectFrom('messages as m')
        .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
        .select(['m.id', 'm.blob_id', 'b.raw', 'b.text_body', 'b.html_body'])
        .orderBy('m.id')
        .execute();
      expect(rows.map((r) => [r.id, r.blob_id])).toEqual([
        ['msg_01aaa', 'blob_01aaa'],
        ['msg_01aab', 'blob_01aaa'],
        ['msg_01aac', 'blob_01aac'],
        ['msg_01aad', 'blob_01aad'],
      ]);
      expect(rows.map((r) => [r.raw && box.open(r.raw).toString(), box.openText(r.text_body), box.openText(r.html_body)])).toEqual([
        ['shared raw', 'shared', '<p>shared</p>'],
        ['shared raw', 'shared', '<p>shared</p>'],
        ['second raw', 'second', '<p>second</p>'],
        [null, 'draft', '<p>draft</p>'],
      ]);
      expect((await db.selectFrom('message_blobs').select('id').execute()).length).toBe(3);
      const attachments = await db.selectFrom('attachments').select(['blob_id', 'idx', 'content']).orderBy('blob_id').execute();
      expect(attachments.map((a) => [a.blob_id, a.idx, box.open(a.content).toString()])).toEqual([
        ['blob_01aaa', 0, 'att'],
        ['blob_01aad', 0, 'out'],
      ]);
      const columns = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = 'messages'`.execute(db);
      expect(columns.rows.map((c) => c.column_name).filter((c) => ['raw', 'text_body', 'html_body'].includes(c))).toEqual([]);

      // The shared blob goes with its last copy, attachment included; the other messages keep theirs.
      await db.deleteFrom('messages').where('id', '=', 'msg_01aaa').execute();
      expect(await db.selectFrom('message_blobs').select('id').where('id', '=', 'blob_01aaa').execute()).toHaveLength(1);
      await db.deleteFrom('agents').where('id', '=', 'agt_b').execute();
      expect((await db.selectFrom('message_blobs').select('id').orderBy('id').execute()).map((b) => b.id)).toEqual(['blob_01aac']);
      expect(await db.selectFrom('attachments').select('blob_id').execute()).toEqual([]);
    } finally {
      await t.drop();
    }
  });
});
