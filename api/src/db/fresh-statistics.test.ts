/** FreshStatistics (fresh-statistics.ts): ANALYZE when a table never had one or changed by more than autovacuum's share since. */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { until } from '../testing/until.js';
import { FreshStatistics } from './fresh-statistics.js';

describe.each(ENGINES)('fresh statistics (%s)', (engine) => {
  let test: TestDatabase;
  let now = 0;
  const clock = { now: () => new Date(now) };

  beforeAll(async () => {
    test = await openTestDatabase(engine, { migrate: false });
    await sql`CREATE TABLE stats_probe (id integer PRIMARY KEY, word text)`.execute(test.handle.db);
  });
  afterAll(() => test?.drop());

  const analysed = async () => {
    const { rows } = await sql<{ n: string; reltuples: number }>`
      SELECT (s.analyze_count + s.autoanalyze_count)::text AS n, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      WHERE s.relname = 'stats_probe'`.execute(test.handle.db);
    return { count: Number(rows[0]!.n), reltuples: Number(rows[0]!.reltuples) };
  };
  /** Inserts rows, then waits until the statistics counters show them (a backend reports them when idle, at most once a second). */
  const insert = async (from: number, to: number) => {
    const { rows } = await sql<{ n: string }>`SELECT n_mod_since_analyze::text AS n FROM pg_stat_user_tables WHERE relname = 'stats_probe'`.execute(test.handle.db);
    await sql`INSERT INTO stats_probe SELECT i, 'w' || (i % 7) FROM generate_series(${from}::int, ${to}::int) i`.execute(test.handle.db);
    const expected = Number(rows[0]!.n) + (to - from + 1);
    await until(`n_mod_since_analyze to reach ${expected}`, async () => {
      await sql`SELECT pg_stat_force_next_flush()`.execute(test.handle.db);
      const now = await sql<{ n: string }>`SELECT n_mod_since_analyze::text AS n FROM pg_stat_user_tables WHERE relname = 'stats_probe'`.execute(test.handle.db);
      return Number(now.rows[0]!.n) >= expected;
    });
  };

  it('analyses a table that never was, not again until enough of it changed, and at most once per interval', async () => {
    const fresh = new FreshStatistics({ db: test.handle.db, clock }, ['stats_probe'], 60_000);
    await insert(1, 1_000);
    const before = await analysed();
    await fresh.ensure();
    const first = await analysed();
    expect(first.count).toBe(before.count + 1);
    expect(first.reltuples).toBe(1_000);

    // 100 new rows: under 50 + 10% of 1,000; and the interval has not passed anyway.
    await insert(1_001, 1_100);
    now += 60_000;
    await fresh.ensure();
    expect((await analysed()).count).toBe(first.count);

    // 1,000 more: stale, but checked only once the interval has passed.
    await insert(1_101, 2_100);
    await fresh.ensure();
    expect((await analysed()).count).toBe(first.count);
    now += 60_000;
    await Promise.all([fresh.ensure(), fresh.ensure()]);
    const second = await analysed();
    expect(second.count).toBe(first.count + 1);
    expect(second.reltuples).toBe(2_100);
  });
});
