/**
 * A PostgreSQL connection dropped under the gateway (pg_terminate_backend, a restart, a failover)
 * must fail the statement that was using it and nothing more: no unhandled 'error' event, the pool
 * replaces the connection, and the error reads as "database unavailable" so HTTP answers 503.
 * The whole process under load is database-outage.test.ts; these pin the pieces.
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../accounts/service.js';
import { systemClock } from '../clock.js';
import { createHttpApp } from '../http/app.js';
import { RouteTable } from '../http/route.js';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../testing/databases.js';
import { openDatabase } from './database.js';
import type { DB } from './schema.js';
import { isDatabaseUnavailable } from './unavailable.js';
import { httpLimitsOff } from '../testing/http-limits.js';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('isDatabaseUnavailable', () => {
  it('is true for a server that refuses connections', async () => {
    const err = await openDatabase({ url: `postgres://nobody@127.0.0.1:${await closedPort()}/none`, dataDir: null }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('is false for errors of the statement or of the program', async () => {
    const t = await openTestDatabase('pglite', { migrate: false });
    try {
      const syntax = await sql`selec 1`.execute(t.handle.db).catch((e: unknown) => e);
      expect(syntax).toMatchObject({ code: '42601' });
      expect(isDatabaseUnavailable(syntax)).toBe(false);
    } finally {
      await t.drop();
    }
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe('the HTTP edge without its database', () => {
  it('answers 503 unavailable in the error envelope, with Retry-After, not 500', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const routes = new RouteTable();
    routes.add({ method: 'get', path: '/v1/ping', operationId: 'test.ping', summary: 'ping', tag: 'test' }, async () => ({ ok: true }));
    const app = createHttpApp({ limits: httpLimitsOff(), routes, accounts: new AccountsService({ db, clock: systemClock }), logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, trustProxy: false });
    const server = createHttpServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      // The API key check is the first statement, and it cannot reach the database.
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/v1/ping`, { headers: { authorization: 'Bearer e2a_0123456789abcdef' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({
        error: { code: 'unavailable', message: 'the database is unavailable; retry shortly', request_id: res.headers.get('x-request-id') },
      });
    } finally {
      server.close();
      await db.destroy();
    }
  });
});

describe.runIf(TEST_DATABASE_URL)('a pooled connection the server terminates (needs TEST_DATABASE_URL)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('fails only the statement that was using it, as "unavailable", and the pool connects afresh', async () => {
    const { db } = t.handle;
    let victim = 0;
    // Inside a transaction the connection stays lent out of the pool between statements: the
    // server's notice of termination arrives while no statement runs, as an 'error' event on the
    // client alone (pg-pool listens only on idle clients).
    const failed = await db
      .transaction()
      .execute(async (trx) => {
        victim = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
        const ended = await admin((c) => c.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [victim]));
        expect(ended.rows).toEqual([{ ok: true }]);
        // Wait until the server has really closed it (the notice may still be on its way).
        for (let i = 0; i < 400; i++) {
          const gone = await admin((c) => c.query('select 1 from pg_stat_activity where pid = $1', [victim]));
          if (gone.rowCount === 0) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        await sql`select 1`.execute(trx);
      })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(failed).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failed)).toBe(true);

    // A statement in flight when its backend is terminated gets 57P01.
    const busy = sql`select pg_sleep(30)`.execute(db).then(
      () => null,
      (err: unknown) => err,
    );
    let sleeper = 0;
    for (let i = 0; i < 400 && !sleeper; i++) {
      const rows = await admin((c) => c.query<{ pid: number }>("select pid from pg_stat_activity where query = 'select pg_sleep(30)' and state = 'active'"));
      sleeper = rows.rows[0]?.pid ?? 0;
      if (!sleeper) await new Promise((r) => setTimeout(r, 25));
    }
    await admin((c) => c.query('select pg_terminate_backend($1)', [sleeper]));
    const inFlight = await busy;
    expect(inFlight).toMatchObject({ code: '57P01' });
    expect(isDatabaseUnavailable(inFlight)).toBe(true);

    // The next statements get fresh connections.
    const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    expect([victim, sleeper]).not.toContain(after.rows[0]!.pid);
  });
});
