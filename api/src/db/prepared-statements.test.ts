import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../testing/databases.js';
import type { Database } from './database.js';
import { preparedStatements } from './prepared-statements.js';

/** The named statements this connection holds on the server (the query itself has no parameters). */
async function held(conn: Database): Promise<{ name: string; statement: string; runs: number }[]> {
  const result = await sql<{ name: string; statement: string; runs: number }>`
    select name, statement, generic_plans + custom_plans as runs from pg_prepared_statements order by prepare_time, name
  `.execute(conn);
  return result.rows;
}

/** Runs DDL from a second connection, as another replica's migration would. */
async function elsewhere(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe.runIf(TEST_DATABASE_URL)('prepared statements on PostgreSQL (needs TEST_DATABASE_URL)', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await openTestDatabase('postgres', { migrate: false });
    await sql`create table t (id int primary key, a text)`.execute(t.handle.db);
    await sql`insert into t values (1, 'one'), (2, 'two')`.execute(t.handle.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('runs a repeated parameterised query as one named statement on its connection', async () => {
    await t.handle.db.connection().execute(async (conn) => {
      const text = 'select a from t where id = $1';
      for (const [id, a] of [[1, 'one'], [2, 'two'], [1, 'one']] as const) {
        const result = await sql<{ a: string }>`select a from t where id = ${id}`.execute(conn);
        expect(result.rows).toEqual([{ a }]);
      }
      const mine = (await held(conn)).filter((s) => s.statement === text);
      expect(mine).toEqual([{ name: expect.stringMatching(/^e2a_\d+$/), statement: text, runs: 3 }]);
    });
  });

  it('keeps text without parameters on the simple protocol, several statements in one text', async () => {
    await t.handle.db.connection().execute(async (conn) => {
      await sql.raw('create table m (id int); insert into m values (7); insert into m values (8)').execute(conn);
      expect((await sql<{ n: number }>`select count(*)::int as n from m`.execute(conn)).rows).toEqual([{ n: 2 }]);
      // Named statements are single-statement by protocol: the script above would have failed as one.
      expect((await held(conn)).filter((s) => !/\$\d/.test(s.statement))).toEqual([]);
    });
  });

  it('names at most `limit` texts per connection and runs the rest unnamed', async () => {
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      preparedStatements(client, 3);
      for (let round = 0; round < 2; round++) {
        for (let n = 0; n < 6; n++) {
          const result = await client.query(`select $1::int + ${n} as v`, [10]);
          expect(result.rows).toEqual([{ v: 10 + n }]);
        }
      }
      const statements = await client.query<{ name: string; statement: string; runs: number }>(
        'select name, statement, (generic_plans + custom_plans)::int as runs from pg_prepared_statements order by name',
      );
      expect(statements.rows).toEqual([0, 1, 2].map((n) => ({ name: `e2a_${n}`, statement: `select $1::int + ${n} as v`, runs: 2 })));
    } finally {
      await client.end();
    }
  });

  it('retries once unnamed when another connection changed the result type (0A000)', async () => {
    await sql`create table r (id int primary key, a text)`.execute(t.handle.db);
    await sql`insert into r values (1, 'one')`.execute(t.handle.db);
    await t.handle.db.connection().execute(async (conn) => {
      const select = () => sql<Record<string, unknown>>`select * from r where id = ${1}`.execute(conn);
      expect((await select()).rows).toEqual([{ id: 1, a: 'one' }]);
      expect((await select()).rows).toEqual([{ id: 1, a: 'one' }]);

      await elsewhere(t.url, `alter table r add column b text not null default 'new'`);
      expect((await select()).rows).toEqual([{ id: 1, a: 'one', b: 'new' }]);
      // The next use prepares the text afresh under another name; the stale one is left unused.
      expect((await select()).rows).toEqual([{ id: 1, a: 'one', b: 'new' }]);
      const mine = (await held(conn)).filter((s) => s.statement === 'select * from r where id = $1');
      expect(mine.map((s) => s.runs)).toEqual([2, 1]);
      expect(new Set(mine.map((s) => s.name)).size).toBe(2);
    });
  });

  it('inside a transaction block, passes the 0A000 on (the block is aborted) and recovers after it', async () => {
    await sql`create table x (id int primary key)`.execute(t.handle.db);
    await sql`insert into x values (1)`.execute(t.handle.db);
    await t.handle.db.connection().execute(async (conn) => {
      const select = () => sql<Record<string, unknown>>`select * from x where id = ${1}`.execute(conn);
      expect((await select()).rows).toEqual([{ id: 1 }]);
      await elsewhere(t.url, 'alter table x add column c int not null default 3');
      await sql`begin`.execute(conn);
      await expect(select()).rejects.toMatchObject({ code: '0A000' });
      await sql`rollback`.execute(conn);
      expect((await select()).rows).toEqual([{ id: 1, c: 3 }]);
    });
  });

  it('recovers when the server no longer holds a statement pg believes it prepared (26000)', async () => {
    await t.handle.db.connection().execute(async (conn) => {
      const select = (id: unknown) => sql<{ a: string }>`select a from t where id = ${id} and a <> 'deallocated'`.execute(conn);
      expect((await select(1)).rows).toEqual([{ a: 'one' }]);
      await sql`deallocate all`.execute(conn);
      expect((await select(2)).rows).toEqual([{ a: 'two' }]);

      // pg closes the statement on the server when a parameter fails to serialise, yet still
      // records it as parsed: the next use of the text meets 26000.
      const circular: { self?: unknown } = {};
      circular.self = circular;
      await expect(select(circular)).rejects.toThrow(/circular/i);
      expect((await select(1)).rows).toEqual([{ a: 'one' }]);
    });
  });
});
