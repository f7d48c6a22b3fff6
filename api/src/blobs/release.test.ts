import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';

const left = `left@${TEST_DOMAIN}`;
const right = `right@${TEST_DOMAIN}`;

// Two transactions at once need two sessions: PostgreSQL only (PGlite is one session).
describe.runIf(ENGINES.includes('postgres'))('a blob shared by two copies deleted in two transactions at once (postgres)', () => {
  let gw: TestGateway;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'postgres', resolver: createFakeResolver({}) });
    for (const local_part of ['left', 'right']) {
      expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part }) })).status).toBe(201);
    }
    for (let i = 0; i < 2; i++) {
      const client = new pg.Client({ connectionString: gw.gateway.database.url! });
      await client.connect();
      clients.push(client);
    }
  });
  afterAll(async () => {
    for (const c of clients) await c.end();
    await gw?.close();
  });

  /** One message to both agents: the two copies and the blob they share. */
  async function shared(tag: string) {
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [left, right], buildMessage({ to: [left, right], subject: tag, messageId: `${tag}@example.com` }));
    const rows = await gw.gateway.database.db.selectFrom('messages').select(['id', 'blob_id']).where('subject', '=', tag).orderBy('id').execute();
    expect(rows).toHaveLength(2);
    expect(rows[0]!.blob_id).toBe(rows[1]!.blob_id);
    return { copies: rows.map((r) => r.id), blobId: rows[0]!.blob_id };
  }

  const blobExists = async (id: string) => (await gw.gateway.database.db.selectFrom('message_blobs').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

  /**
   * A deletes the first copy and holds its transaction open; B deletes the second. B's statement
   * either waits on A (the blob's row lock) or completes: whichever is observed, A ends first.
   */
  async function race(copies: string[], endA: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const [a, b] = clients as [pg.Client, pg.Client];
    await a.query('BEGIN');
    await a.query('DELETE FROM messages WHERE id = $1', [copies[0]]);
    await b.query('BEGIN');
    const { rows } = await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    let bDone = false;
    const bDelete = b.query('DELETE FROM messages WHERE id = $1', [copies[1]]).then(() => {
      bDone = true;
    });
    await until('the second delete to wait on the first, or to finish', async () => {
      if (bDone) return true;
      const activity = await sql<{ wait_event_type: string | null }>`SELECT wait_event_type FROM pg_stat_activity WHERE pid = ${rows[0]!.pid}`.execute(gw.gateway.database.db);
      return activity.rows[0]?.wait_event_type === 'Lock';
    });
    await a.query(endA);
    await bDelete;
    await b.query('COMMIT');
  }

  it('deletes the blob when both commit: the second sees the first one committed', async () => {
    const { copies, blobId } = await shared('race-commit');
    await race(copies, 'COMMIT');
    expect(await gw.gateway.database.db.selectFrom('messages').select('id').where('id', 'in', copies).execute()).toEqual([]);
    expect(await blobExists(blobId)).toBe(false);
  });

  it('keeps the blob when the first rolls back: its copy still reads whole', async () => {
    const { copies, blobId } = await shared('race-rollback');
    await race(copies, 'ROLLBACK');
    expect(await blobExists(blobId)).toBe(true);
    const raw = await gw.api(`/v1/agents/${left}/messages/${copies[0]}/raw`);
    expect(raw.status).toBe(200);
    expect(await raw.text()).toContain('Subject: race-rollback');
  });
});
