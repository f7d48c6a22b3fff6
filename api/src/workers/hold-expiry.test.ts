import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import { newId } from '../ids.js';
import { ReviewDecider } from '../reviews/outcome.js';
import { holdOutbound } from '../reviews/test-fixtures.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES, openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { HoldExpiryWorker } from './hold-expiry.js';

const bot = 'bot@agents.test';

describe.each(ENGINES)('hold expiry sweeper (%s)', (engine) => {
  let tdb: TestDatabase;
  const clock = new TestClock();
  const box = new SecretBox(randomBytes(32));
  const sweeper = () =>
    new HoldExpiryWorker({ db: tdb.handle.db, clock, decider: new ReviewDecider({ box, clock }), logger: pino({ level: 'silent' }), pollIntervalMs: 60_000, batchSize: 3 });
  const state = async (messageId: string) => {
    const db = tdb.handle.db;
    const review = await db.selectFrom('reviews').select(['status', 'decided_by']).where('message_id', '=', messageId).executeTakeFirstOrThrow();
    const message = await db.selectFrom('messages').select(['status', 'next_attempt_at']).where('id', '=', messageId).executeTakeFirstOrThrow();
    const events = await db.selectFrom('events').select('type').where(sql<string>`data->>'message_id'`, '=', messageId).orderBy('seq').execute();
    return { review: review.status, by: review.decided_by, message: message.status, due: message.next_attempt_at !== null, events: events.map((e) => e.type) };
  };

  beforeAll(async () => {
    tdb = await openTestDatabase(engine);
    const userId = newId('user');
    await tdb.handle.db.insertInto('users').values({ id: userId, email: 'owner@example.com' }).execute();
    await tdb.handle.db.insertInto('agents').values({ id: newId('agent'), user_id: userId, address: bot, domain: 'agents.test', display_name: null }).execute();
  });
  afterAll(() => tdb?.drop());

  it('applies on_expiry: approve queues the message, reject rejects it, and nothing before the deadline', async () => {
    const approve = await holdOutbound({ db: tdb.handle.db, box }, { agent: bot, to: ['a@x.com'], subject: 'a', text: 'a', clock, protection: { holds: { ttl_seconds: 60, on_expiry: 'approve' } } });
    const reject = await holdOutbound({ db: tdb.handle.db, box }, { agent: bot, to: ['a@x.com'], subject: 'r', text: 'r', clock, protection: { holds: { ttl_seconds: 120, on_expiry: 'reject' } } });
    expect(await sweeper().sweepOnce()).toBe(0);
    clock.advance(60_000);
    expect(await sweeper().sweepOnce()).toBe(1);
    expect(await state(approve.messageId)).toEqual({ review: 'expired_approved', by: 'expiry', message: 'queued', due: true, events: ['email.review_requested', 'email.review_approved'] });
    expect((await state(reject.messageId)).review).toBe('pending');
    clock.advance(60_000);
    expect(await sweeper().sweepOnce()).toBe(1);
    expect(await state(reject.messageId)).toEqual({ review: 'expired_rejected', by: 'expiry', message: 'rejected', due: false, events: ['email.review_requested', 'email.review_rejected'] });
    expect(await sweeper().sweepOnce()).toBe(0);
  });

  it('two sweepers racing decide each hold exactly once', async () => {
    const held = [];
    for (let i = 0; i < 10; i++) {
      held.push(await holdOutbound({ db: tdb.handle.db, box }, { agent: bot, to: ['a@x.com'], subject: `race ${i}`, text: 'x', clock, protection: { holds: { ttl_seconds: 60, on_expiry: i % 2 ? 'approve' : 'reject' } } }));
    }
    clock.advance(61_000);
    const [a, b] = await Promise.all([sweeper().sweepOnce(), sweeper().sweepOnce()]);
    expect(a + b).toBe(10);
    for (const [i, h] of held.entries()) {
      const s = await state(h.messageId);
      expect(s.review).toBe(i % 2 ? 'expired_approved' : 'expired_rejected');
      expect(s.events).toHaveLength(2);
    }
  });
});
