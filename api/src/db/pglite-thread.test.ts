import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedThread, type EmbeddedDatabase } from './pglite-thread.js';

describe('the embedded database on its own thread', () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await startEmbeddedThread({ dataDir: null, fsync: false });
    await db.exec('CREATE TABLE t (id text PRIMARY KEY, body bytea, at timestamptz)');
  });
  afterAll(() => db.close());

  it('round-trips bytes as Buffers and times as Dates', async () => {
    const body = Buffer.from([0, 1, 2, 255, 254]);
    const at = new Date('2026-12-02T00:00:00.123Z');
    await db.query('INSERT INTO t VALUES ($1, $2, $3)', ['a', body, at]);
    const { rows } = await db.query<{ body: Buffer; at: Date }>('SELECT body, at FROM t WHERE id = $1', ['a']);
    expect(Buffer.isBuffer(rows[0]!.body)).toBe(true);
    expect(rows[0]!.body.equals(body)).toBe(true);
    expect(rows[0]!.at).toEqual(at);
  });

  it('keeps a database error’s SQLSTATE and constraint', async () => {
    await db.query('INSERT INTO t (id) VALUES ($1)', ['dup']);
    const err = await db.query('INSERT INTO t (id) VALUES ($1)', ['dup']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey' });
  });

  it('commits a transaction whole, and rolls one back whole when its callback throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES ($1)', ['tx1']);
      await tx.query('INSERT INTO t (id) VALUES ($1)', ['tx2']);
    });
    const failure = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES ($1)', ['tx3']);
        throw new Error('changed my mind');
      })
      .catch((e: Error) => e.message);
    expect(failure).toBe('changed my mind');
    const { rows } = await db.query<{ id: string }>("SELECT id FROM t WHERE id LIKE 'tx%' ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual(['tx1', 'tx2']);
  });

  it('runs a statement outside an open transaction only after it ends, as one session does', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const transaction = db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES ($1)', ['inside']);
      order.push('inside written');
      await held;
      order.push('committing');
    });
    // Wait until the transaction holds the session, then ask outside it.
    await expect.poll(() => order.includes('inside written')).toBe(true);
    const outside = db.query<{ n: number }>("SELECT count(*)::int AS n FROM t WHERE id = 'inside'").then((r) => {
      order.push('outside answered');
      return r.rows[0]!.n;
    });
    release();
    await transaction;
    expect(await outside).toBe(1);
    expect(order).toEqual(['inside written', 'committing', 'outside answered']);
  });

  it('delivers notifications committed on its channel', async () => {
    const received: string[] = [];
    const unlisten = await db.listen('thread_test', (payload) => received.push(payload));
    await db.query("SELECT pg_notify('thread_test', 'hello')");
    await expect.poll(() => received).toEqual(['hello']);
    await unlisten();
  });

  it('refuses statements once closed, with an error the edges read as "unavailable"', async () => {
    const other = await startEmbeddedThread({ dataDir: null, fsync: false });
    await other.close();
    expect(other.closed).toBe(true);
    await expect(other.query('SELECT 1')).rejects.toMatchObject({ code: '57P03' });
  });
});
