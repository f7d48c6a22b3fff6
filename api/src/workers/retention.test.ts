import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { RetentionWorker } from './retention.js';

const DAY = 86_400_000;
const TRASH_DAYS = 3;
/** Follows the account (10 days), keeps forever, keeps 2 days. */
const inherits = `inherits@${TEST_DOMAIN}`;
const forever = `forever@${TEST_DOMAIN}`;
const brief = `brief@${TEST_DOMAIN}`;

describe.each(ENGINES)('retention sweeper (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  let n = 0;
  const db = () => gw.gateway.database.db;
  const json = async (res: Response) => {
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as Record<string, unknown>;
  };
  const call = (path: string, method: string, body?: unknown, key?: string) => gw.api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(key ? { key } : {}) });
  const receive = async (to: string) => {
    const subject = `retention ${++n}`;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [to], buildMessage({ to, subject, messageId: `retention-${n}@example.com` }));
    return (await db().selectFrom('messages').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()).id;
  };
  const state = async (id: string) => {
    const row = await db().selectFrom('messages').select(['status', 'deleted_at']).where('id', '=', id).executeTakeFirst();
    return row === undefined ? 'purged' : row.deleted_at ? 'trash' : row.status;
  };
  const events = async (id: string) =>
    (await db().selectFrom('events').select(['data', 'agent_id']).where('type', '=', 'email.deleted').where(sql<string>`data->>'message_id'`, '=', id).orderBy('seq').execute()).map(
      (e) => `${(e.data as { deletion: string }).deletion}${(e.data as { deleted_by?: string }).deleted_by ? ` by ${(e.data as { deleted_by?: string }).deleted_by}` : ''}${e.agent_id ? '' : ' (account)'}`,
    );

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      clock,
      env: { E2A_RETENTION_TRASH_DAYS: String(TRASH_DAYS), E2A_RETENTION_POLL_INTERVAL_MS: '3600000', E2A_RETENTION_BATCH_SIZE: '2' },
    });
    for (const local_part of ['inherits', 'forever', 'brief']) await json(await call('/v1/agents', 'POST', { local_part }));
  });
  afterAll(() => gw?.close());

  it('sets retention on the account and on agents; agent keys may read it, not change it', async () => {
    expect(await json(await call('/v1/account/retention', 'GET'))).toEqual({ retention_days: null, trash_days: TRASH_DAYS });
    expect(await json(await call('/v1/account/retention', 'PUT', { retention_days: 10 }))).toEqual({ retention_days: 10, trash_days: TRASH_DAYS });
    expect((await json(await call(`/v1/agents/${forever}`, 'PATCH', { retention_days: null }))).retention_days).toBeNull();
    expect((await json(await call(`/v1/agents/${brief}`, 'PATCH', { retention_days: 2 }))).retention_days).toBe(2);
    expect((await json(await call(`/v1/agents/${inherits}`, 'GET'))).retention_days).toBe('account');

    const agentKey = (await json(await call('/v1/account/api-keys', 'POST', { scope: 'agent', agent_address: brief }))).key as string;
    expect(await json(await call('/v1/account/retention', 'GET', undefined, agentKey))).toEqual({ retention_days: 10, trash_days: TRASH_DAYS });
    expect((await call('/v1/account/retention', 'PUT', { retention_days: 1 }, agentKey)).status).toBe(403);
    expect((await call(`/v1/agents/${brief}`, 'PATCH', { retention_days: null }, agentKey)).status).toBe(403);
    for (const bad of [0, -1, 1.5, 36_501, 'forever']) {
      expect((await call('/v1/account/retention', 'PUT', { retention_days: bad })).status, String(bad)).toBe(422);
      expect((await call(`/v1/agents/${brief}`, 'PATCH', { retention_days: bad })).status, String(bad)).toBe(422);
    }
    expect((await json(await call(`/v1/agents/${brief}`, 'GET'))).retention_days).toBe(2);
  });

  it("trashes mail past the period that applies (the agent's, else the account's), then purges it after trash_days", async () => {
    const mail = { inherits: await receive(inherits), forever: await receive(forever), brief: await receive(brief) };
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 0, purged: 0 });

    clock.advance(2 * DAY + 60_000);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 1, purged: 0 });
    expect([await state(mail.inherits), await state(mail.forever), await state(mail.brief)]).toEqual(['received', 'received', 'trash']);
    // In the trash it can still be restored; retention put it there, the period did not erase it yet.
    const trashed = (await json(await call(`/v1/agents/${brief}/messages?in=trash`, 'GET'))).items as Array<{ id: string }>;
    expect(trashed.map((m) => m.id)).toEqual([mail.brief]);

    clock.advance(8 * DAY);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 1, purged: 1 });
    expect([await state(mail.inherits), await state(mail.forever), await state(mail.brief)]).toEqual(['trash', 'received', 'purged']);

    clock.advance(TRASH_DAYS * DAY);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 0, purged: 1 });
    expect([await state(mail.inherits), await state(mail.forever)]).toEqual(['purged', 'received']);
    expect(await events(mail.brief)).toEqual(['trashed by retention', 'purged']);
    expect(await events(mail.forever)).toEqual([]);
  });

  it('never trashes or purges held mail while its review is pending; blocked mail goes, told to the account only', async () => {
    const protect = async (body: unknown) => expect((await call(`/v1/agents/${inherits}/protection`, 'PUT', body)).status).toBe(200);
    // Holds that outlive the retention period and the restore period together.
    await protect({ inbound: { policy: 'allowlist', allowlist: [], action: 'review' }, outbound: { policy: 'allowlist', allowlist: [], action: 'review' }, holds: { ttl_seconds: 30 * 86_400 } });
    const heldIn = await receive(inherits);
    const sent = await json(await call(`/v1/agents/${inherits}/messages`, 'POST', { to: ['partner@example.net'], subject: 'held out', text: 'x' }));
    const heldOut = sent.id as string;
    await protect({ inbound: { policy: 'allowlist', allowlist: [], action: 'block' } });
    const blocked = await receive(inherits);
    await protect({});
    expect([await state(heldIn), await state(heldOut), await state(blocked)]).toEqual(['held', 'held', 'blocked']);

    clock.advance(11 * DAY);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 1, purged: 0 });
    clock.advance((TRASH_DAYS + 1) * DAY);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 0, purged: 1 });
    expect([await state(heldIn), await state(heldOut), await state(blocked)]).toEqual(['held', 'held', 'purged']);
    expect(await events(blocked)).toEqual(['trashed by retention (account)', 'purged (account)']);

    // The review ends: approved, the message is delivered, and from then on it ages like any other.
    const review = await db().selectFrom('reviews').select('id').where('message_id', '=', heldIn).executeTakeFirstOrThrow();
    await json(await call(`/v1/reviews/${review.id}/approve`, 'POST', {}));
    expect(await state(heldIn)).toBe('received');
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 1, purged: 0 });
    expect([await state(heldIn), await state(heldOut)]).toEqual(['trash', 'held']);
  });

  it('two sweepers racing trash and purge each message exactly once', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await receive(brief));
    clock.advance(3 * DAY);
    const worker = () => new RetentionWorker({ db: db(), clock, logger: pino({ level: 'silent' }), pollIntervalMs: 60_000, trashDays: TRASH_DAYS, batchSize: 2 });
    const first = await Promise.all([worker().sweepOnce(), worker().sweepOnce()]);
    expect(first[0].trashed + first[1].trashed).toBe(7);
    clock.advance((TRASH_DAYS + 1) * DAY);
    const second = await Promise.all([worker().sweepOnce(), worker().sweepOnce()]);
    expect(second[0].purged + second[1].purged).toBe(7);
    for (const id of ids) expect(await events(id)).toEqual(['trashed by retention', 'purged']);
  });
});
