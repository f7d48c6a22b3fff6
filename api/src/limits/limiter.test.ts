/** The shared limiter on both engines: windows, several budgets in one statement, replicas sharing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../testing/clock.js';
import { ENGINES, openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { StatementLog } from '../testing/statement-log.js';
import { DatabaseLimiter, type LimitRule } from './limiter.js';

describe.each(ENGINES)('limiter (%s)', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(engine);
  });
  afterAll(() => database.drop());

  const perMinute = (key: string, limit: number, cost = 1): LimitRule => ({ name: key.split(':')[0]!, key, limit, windowSeconds: 60, cost });

  it('allows up to the limit in a window, refuses past it with the wait, and starts again after it', async () => {
    const clock = new TestClock();
    const limiter = new DatabaseLimiter({ db: database.handle.db, clock });
    const rule = perMinute('a:window', 3);
    const first = await limiter.consume([rule]);
    expect(first).toMatchObject({ allowed: true, tightest: { rule: 'a', limit: 3, windowSeconds: 60, remaining: 2 } });
    await limiter.consume([rule]);
    expect(await limiter.consume([rule])).toMatchObject({ allowed: true, tightest: { remaining: 0 } });
    const refused = await limiter.consume([rule]);
    expect(refused).toMatchObject({ allowed: false, rule: 'a', limit: 3 });
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThan(55);
    clock.advance(30_000);
    const later = await limiter.consume([rule]);
    expect(later.allowed === false && later.retryAfterSeconds).toBeLessThanOrEqual(31);
    clock.advance(31_000);
    expect(await limiter.consume([rule])).toMatchObject({ allowed: true, tightest: { remaining: 2 } });
  });

  it('charges several budgets in one statement and reports the first one over, in the order given', async () => {
    const log = new StatementLog();
    const limiter = new DatabaseLimiter({ db: database.handle.db.withPlugin(log), clock: new TestClock() });
    const wide = perMinute('wide:x', 100);
    const narrow = perMinute('narrow:x', 1);
    expect(await limiter.consume([wide, narrow])).toMatchObject({ allowed: true, tightest: { remaining: 0 } });
    expect(log.statements).toHaveLength(1);
    expect(await limiter.consume([wide, narrow])).toMatchObject({ allowed: false, rule: 'narrow' });
    // Costs count: 98 more on `wide` (100 used) is allowed, one more is not.
    expect(await limiter.consume([perMinute('wide:x', 100, 98)])).toMatchObject({ allowed: true, tightest: { remaining: 0 } });
    expect(await limiter.consume([wide])).toMatchObject({ allowed: false, rule: 'wide' });
  });

  it('a key named twice in one call is charged twice; a limit of 0 is off and costs no statement', async () => {
    const log = new StatementLog();
    const limiter = new DatabaseLimiter({ db: database.handle.db.withPlugin(log), clock: new TestClock() });
    expect(await limiter.consume([perMinute('twice:x', 2), perMinute('twice:x', 2)])).toMatchObject({ allowed: true, tightest: { remaining: 0 } });
    log.clear();
    expect(await limiter.consume([perMinute('off:x', 0, 1000)])).toMatchObject({ allowed: true });
    expect(log.statements).toHaveLength(0);
  });

  it('a refused key is answered from memory until its window ends', async () => {
    const log = new StatementLog();
    const clock = new TestClock();
    const limiter = new DatabaseLimiter({ db: database.handle.db.withPlugin(log), clock });
    const rule = perMinute('flood:x', 1);
    await limiter.consume([rule]);
    expect((await limiter.consume([rule])).allowed).toBe(false);
    log.clear();
    for (let i = 0; i < 20; i++) expect((await limiter.consume([rule])).allowed).toBe(false);
    expect(log.statements).toHaveLength(0);
    clock.advance(61_000);
    expect((await limiter.consume([rule])).allowed).toBe(true);
  });

  it('two limiters on one database (two replicas) spend one budget', async () => {
    const clock = new TestClock();
    const a = new DatabaseLimiter({ db: database.handle.db, clock });
    const b = new DatabaseLimiter({ db: database.handle.db, clock });
    const rule = perMinute('shared:x', 4);
    const answers = await Promise.all([a, b, a, b, a, b].map((l) => l.consume([rule])));
    expect(answers.filter((x) => x.allowed)).toHaveLength(4);
  });

  it('uses made while a statement is in flight are charged together, each decided as if alone', async () => {
    const log = new StatementLog();
    const limiter = new DatabaseLimiter({ db: database.handle.db.withPlugin(log), clock: new TestClock() });
    const rule = perMinute('batched:x', 30);
    const other = perMinute('batched:y', 1000);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => limiter.consume(i % 2 === 0 ? [other, rule] : [rule])));
    // The first goes alone; the 49 that came while it was in flight go in the next statement.
    expect(log.statements).toHaveLength(2);
    // In the order asked: the first 30 fit with 29, 28, … 0 left, the other 20 are refused.
    expect(answers.slice(0, 30).map((a) => a.allowed && a.tightest?.rule === 'batched' && a.tightest.remaining)).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
    expect(answers.slice(30).every((a) => !a.allowed && a.rule === 'batched' && a.limit === 30)).toBe(true);
    // Every use was counted, refused ones too (a client that keeps trying stays refused).
    const row = await database.handle.db.selectFrom('rate_limits').select('points').where('key', '=', 'batched:x').executeTakeFirstOrThrow();
    expect(row.points).toBe(50);
  });

  it('a store error fails every use of the batch, and the next batch goes again', async () => {
    const clock = new TestClock();
    let fail = true;
    const db = database.handle.db.withPlugin({
      transformQuery: (args) => {
        if (fail) throw new Error('store unreachable');
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const limiter = new DatabaseLimiter({ db, clock });
    const rule = perMinute('failing:x', 5);
    const failed = await Promise.allSettled([1, 2, 3].map(() => limiter.consume([rule])));
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    fail = false;
    expect(await limiter.consume([rule])).toMatchObject({ allowed: true, tightest: { remaining: 4 } });
  });

  it('purge drops ended windows only', async () => {
    const clock = new TestClock();
    const limiter = new DatabaseLimiter({ db: database.handle.db, clock });
    await limiter.consume([{ name: 'short', key: 'short:x', limit: 5, windowSeconds: 1 }]);
    await limiter.consume([{ name: 'long', key: 'long:x', limit: 5, windowSeconds: 3600 }]);
    clock.advance(2000);
    await limiter.purge();
    const keys = (await database.handle.db.selectFrom('rate_limits').select('key').where('key', 'in', ['short:x', 'long:x']).execute()).map((r) => r.key);
    expect(keys).toEqual(['long:x']);
  });
});
