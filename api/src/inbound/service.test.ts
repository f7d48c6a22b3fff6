import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId } from '../ids.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver, sendMail } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;

describe.each(ENGINES)('inbound persistence (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('writes exactly one email.received event per stored message, with a deterministic id', async () => {
    const raw = buildMessage({ to: bot, subject: 'event me', messageId: 'ev-1@example.com' });
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    const { items } = await (await gw.api(`/v1/agents/${bot}/messages?subject_contains=event%20me`)).json();
    expect(items).toHaveLength(1);
    const events = await gw.gateway.database.db.selectFrom('events').selectAll().where('type', '=', 'email.received').execute();
    const forMessage = events.filter((e) => (e.data as { message_id: string }).message_id === items[0].id);
    expect(forMessage).toHaveLength(1);
    expect(forMessage[0]!.id).toBe(eventId(items[0].id, 'email.received'));
    expect(forMessage[0]!.data).toMatchObject({ agent_address: bot, subject: 'event me', direction: 'inbound', verified: false });
  });

  it('answers 451 4.3.0 and stores nothing when the commit fails, then accepts the retry', async () => {
    const db = gw.gateway.database.db;
    const count = async (table: 'messages' | 'conversations' | 'events') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = { messages: await count('messages'), conversations: await count('conversations'), events: await count('events') };
    // A trigger that fails every insert stands in for a full disk or a lost connection mid-commit.
    await sql.raw(`CREATE FUNCTION e2a_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'simulated storage failure'; END $$ LANGUAGE plpgsql`).execute(db);
    await sql.raw('CREATE TRIGGER e2a_test_fail BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION e2a_test_fail()').execute(db);
    const raw = buildMessage({ to: bot, subject: 'retry me', messageId: 'retry-1@example.com' });
    try {
      const result = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
      expect(result.data).toMatchObject({ code: 451, enhanced: '4.3.0' });
      expect({ messages: await count('messages'), conversations: await count('conversations'), events: await count('events') }).toEqual(before);
    } finally {
      await sql.raw('DROP TRIGGER e2a_test_fail ON events').execute(db);
      await sql.raw('DROP FUNCTION e2a_test_fail()').execute(db);
    }
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    expect(await count('messages')).toBe(before.messages + 1);
    expect(await count('events')).toBe(before.events + 1);
  });

  it('answers 250 to every copy of a message sent on several connections at once, and stores it once', async () => {
    for (let round = 0; round < 5; round++) {
      const raw = buildMessage({ to: bot, subject: `race ${round}`, messageId: `race-${round}@example.com` });
      const results = await Promise.all([1, 2, 3, 4].map(() => sendMail(gw.gateway.smtpPort, 'alice@example.com', [bot], raw)));
      expect(results.map((r) => r.data?.code)).toEqual([250, 250, 250, 250]);
      const { items } = await (await gw.api(`/v1/agents/${bot}/messages?subject_contains=race%20${round}`)).json();
      expect(items).toHaveLength(1);
    }
  });

  it('refuses unknown mailboxes and foreign domains at RCPT', async () => {
    const result = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [`nobody@${TEST_DOMAIN}`, 'someone@gmail.com', `"x@gmail.com"@${TEST_DOMAIN}`], buildMessage());
    expect(result.rcpt.slice(0, 2).map((r) => `${r.code} ${r.enhanced}`)).toEqual(['550 5.1.1', '550 5.7.1']);
    // smtp-server itself refuses a quoted local part holding an @ as a syntax error (501).
    expect(result.rcpt[2]!.code).toBeGreaterThanOrEqual(500);
    expect(result.data).toBeNull();
  });
});
