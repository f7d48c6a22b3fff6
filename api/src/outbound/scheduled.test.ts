/**
 * Drafts and scheduled sending end to end, on real sockets with an SMTP sink as the upstream: a draft
 * is sent as a send would be (reply threading, review, block, Idempotency-Key) and is then gone;
 * `send_at` holds a message until its time on the injected clock, not before; a cancel before then
 * means it is never sent; the gate runs at acceptance, so a held scheduled message is reviewed at
 * once and still waits for its time; and, on PostgreSQL, two replicas send each scheduled message
 * once.
 *
 * "Not sent before its time" is asserted after a positive signal that would have come first: two
 * claims by the outbound worker that completed after the message was committed (the second began
 * after the first ended, so after the commit) and after any clock change. A claim that saw the
 * message due would have taken it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewMailFor } from '../reviews/test-fixtures.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { StatementLog } from '../testing/statement-log.js';
import { until } from '../testing/until.js';

type Json = Record<string, any>;

const CLAIM = /^UPDATE messages m\s+SET locked_until/;
const HOUR = 3600_000;
const alice = `alice@${TEST_DOMAIN}`;
const careful = `careful@${TEST_DOMAIN}`;
const strict = `strict@${TEST_DOMAIN}`;

/** Two outbound claims that complete from now on: the second started after this call. */
async function twoClaims(log: StatementLog): Promise<void> {
  log.clear();
  await until('two outbound claims', () => log.statements.filter((s) => CLAIM.test(s.trim())).length >= 2);
}

const copiesIn = (sink: SmtpSink, messageIdHeader: string) => sink.messages.filter((m) => m.raw.toString('latin1').includes(`<${messageIdHeader}>`));

describe.each(ENGINES)('drafts and scheduled sending (%s)', (engine) => {
  const clock = new TestClock();
  const log = new StatementLog();
  let gw: TestGateway;
  let sink: SmtpSink;

  const call = async (method: string, path: string, body?: unknown, init: { key?: string; headers?: Record<string, string> } = {}) => {
    const res = await gw.api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...init });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  const ok = async (p: Promise<{ status: number; body: Json }>, status = 200) => {
    const r = await p;
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };
  const message = (id: string) => gw.gateway.database.db.selectFrom('messages').select(['status', 'attempts', 'send_at', 'message_id_header']).where('id', '=', id).executeTakeFirstOrThrow();
  const statusBecomes = (id: string, status: string) => until(`message ${id} ${status}`, async () => (await message(id)).status === status);
  const inSink = (header: string) => until(`${header} at the upstream`, () => copiesIn(sink, header).length > 0 && copiesIn(sink, header));
  const eventsAbout = async (type: string) => ((await ok(call('GET', `/v1/events?type=${type}`))).items as Json[]).map((e) => e.data.message_id as string);
  const later = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();

  beforeAll(async () => {
    sink = await startSmtpSink();
    gw = await startTestGateway({ engine, clock, resolver: createFakeResolver({}), plugins: [log], env: upstreamEnv(sink) });
    for (const local_part of ['alice', 'careful', 'strict']) await ok(call('POST', '/v1/agents', { local_part }), 201);
    await ok(call('PUT', `/v1/agents/${careful}/protection`, { outbound: { policy: 'allowlist', allowlist: [], action: 'review' } }));
    await ok(call('PUT', `/v1/agents/${strict}/protection`, { outbound: { policy: 'allowlist', allowlist: [], action: 'block' } }));
  });
  afterAll(async () => {
    await gw?.close();
    await sink?.close();
  });

  it('sends a draft as a send would: it reaches the upstream once, the draft is gone, and a retry with the key answers the same', async () => {
    const draft = await ok(call('POST', `/v1/agents/${alice}/drafts`, { to: ['dana@example.com'], subject: 'From a draft', text: 'drafted first' }), 201);
    const headers = { 'idempotency-key': `draft-${draft.id}` };
    const sent = await ok(call('POST', `/v1/agents/${alice}/drafts/${draft.id}/send`, undefined, { headers }), 202);
    expect(sent).toMatchObject({ status: 'accepted', send_at: null });
    const [copy] = await inSink(sent.message_id_header);
    expect(copy!.rcptTo).toEqual(['dana@example.com']);
    expect(copy!.raw.toString('latin1')).toMatch(/^Subject: From a draft/m);
    expect((await call('GET', `/v1/agents/${alice}/drafts/${draft.id}`)).status).toBe(404);
    expect(await ok(call('POST', `/v1/agents/${alice}/drafts/${draft.id}/send`, undefined, { headers }), 202)).toEqual(sent);
    expect((await call('POST', `/v1/agents/${alice}/drafts/${draft.id}/send`)).status).toBe(404);
    await statusBecomes(sent.id, 'sent');
    expect(copiesIn(sink, sent.message_id_header)).toHaveLength(1);
  });

  it('sends a draft once when two requests send it at the same moment', async () => {
    const draft = await ok(call('POST', `/v1/agents/${alice}/drafts`, { to: ['dora@example.com'], subject: 'Raced', text: 'x' }), 201);
    const both = await Promise.all([0, 1].map(() => call('POST', `/v1/agents/${alice}/drafts/${draft.id}/send`)));
    expect(both.map((r) => r.status).sort()).toEqual([202, 404]);
    const sent = both.find((r) => r.status === 202)!.body;
    await statusBecomes(sent.id, 'sent');
    const raced = await gw.gateway.database.db.selectFrom('messages').select('id').where('subject', '=', 'Raced').execute();
    expect(raced.map((r) => r.id)).toEqual([sent.id]);
  });

  it('sends a draft with in_reply_to as a reply: threaded, to the original sender', async () => {
    await deliver(gw.gateway.smtpPort, 'frank@example.com', [alice], buildMessage({ from: 'Frank <frank@example.com>', to: alice, subject: 'Question', messageId: 'question-1@example.com' }));
    const inbox = await until('the question', async () => ((await ok(call('GET', `/v1/agents/${alice}/messages?direction=inbound`))).items as Json[]).find((m) => m.subject === 'Question'));
    const draft = await ok(call('POST', `/v1/agents/${alice}/drafts`, { in_reply_to: inbox.id, text: 'the answer' }), 201);
    const sent = await ok(call('POST', `/v1/agents/${alice}/drafts/${draft.id}/send`), 202);
    expect(sent.conversation_id).toBe(inbox.conversation_id);
    const [copy] = await inSink(sent.message_id_header);
    const head = copy!.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(copy!.rcptTo).toEqual(['frank@example.com']);
    expect(head).toMatch(/^In-Reply-To: <question-1@example\.com>/m);
    expect(head).toMatch(/^Subject: Re: Question/m);
  });

  it('puts a draft the gate holds through review like any send; the draft is gone, the approval sends it', async () => {
    const draft = await ok(call('POST', `/v1/agents/${careful}/drafts`, { to: ['gina@example.com'], subject: 'Needs a look', text: 'please check' }), 201);
    const held = await ok(call('POST', `/v1/agents/${careful}/drafts/${draft.id}/send`), 202);
    expect(held).toMatchObject({ status: 'pending_review', reason: expect.stringContaining('gina@example.com') });
    expect((await call('GET', `/v1/agents/${careful}/drafts/${draft.id}`)).status).toBe(404);
    expect(await ok(call('GET', `/v1/reviews/${held.review_id}`))).toMatchObject({ status: 'pending', message_id: held.id, direction: 'outbound' });
    await ok(call('POST', `/v1/reviews/${held.review_id}/approve`, {}));
    await inSink(held.message_id_header);
  });

  it('keeps a draft the gate blocks (403), so it can be changed and sent again', async () => {
    const draft = await ok(call('POST', `/v1/agents/${strict}/drafts`, { to: ['hank@example.com'], subject: 'Blocked', text: 'x' }), 201);
    const blocked = await call('POST', `/v1/agents/${strict}/drafts/${draft.id}/send`);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('blocked_by_policy');
    expect((await ok(call('GET', `/v1/agents/${strict}/drafts/${draft.id}`))).subject).toBe('Blocked');
  });

  it('sends a scheduled message at its send_at and not before', async () => {
    const sendAt = later(HOUR);
    const accepted = await ok(call('POST', `/v1/agents/${alice}/messages`, { to: ['ivy@example.com'], subject: 'Later', text: 'at the hour', send_at: sendAt }), 202);
    expect(accepted).toMatchObject({ status: 'scheduled', send_at: sendAt });
    expect(await eventsAbout('email.scheduled')).toContain(accepted.id);
    expect(await ok(call('GET', `/v1/agents/${alice}/messages/${accepted.id}`))).toMatchObject({ status: 'scheduled', send_at: sendAt });

    await twoClaims(log);
    expect(await message(accepted.id)).toMatchObject({ status: 'scheduled', attempts: 0 });
    expect(copiesIn(sink, accepted.message_id_header)).toEqual([]);

    clock.advance(HOUR - 60_000);
    await twoClaims(log);
    expect((await message(accepted.id)).status).toBe('scheduled');
    expect(copiesIn(sink, accepted.message_id_header)).toEqual([]);

    clock.advance(61_000);
    await statusBecomes(accepted.id, 'sent');
    expect(copiesIn(sink, accepted.message_id_header)).toHaveLength(1);
    expect((await message(accepted.id)).attempts).toBe(1);
    expect(await ok(call('GET', `/v1/agents/${alice}/messages/${accepted.id}`))).toMatchObject({ status: 'sent', send_at: sendAt });
  });

  it('never sends a message cancelled before its time; a second cancel answers the same; only scheduled mail can be cancelled', async () => {
    // Scheduled through a draft: send_at on the draft schedules the send.
    const draft = await ok(call('POST', `/v1/agents/${alice}/drafts`, { to: ['jack@example.com'], subject: 'Maybe later', text: 'x', send_at: later(HOUR) }), 201);
    const scheduled = await ok(call('POST', `/v1/agents/${alice}/drafts/${draft.id}/send`), 202);
    expect(scheduled.status).toBe('scheduled');
    const cancelled = await ok(call('POST', `/v1/agents/${alice}/messages/${scheduled.id}/cancel`));
    expect(cancelled).toMatchObject({ id: scheduled.id, status: 'cancelled', send_at: scheduled.send_at });
    expect(await ok(call('POST', `/v1/agents/${alice}/messages/${scheduled.id}/cancel`))).toEqual(cancelled);
    expect(await eventsAbout('email.cancelled')).toContain(scheduled.id);

    clock.advance(2 * HOUR);
    await twoClaims(log);
    expect(await message(scheduled.id)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(copiesIn(sink, scheduled.message_id_header)).toEqual([]);

    const now = await ok(call('POST', `/v1/agents/${alice}/messages`, { to: ['kim@example.com'], subject: 'Now', text: 'x' }), 202);
    await statusBecomes(now.id, 'sent');
    const tooLate = await call('POST', `/v1/agents/${alice}/messages/${now.id}/cancel`);
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error.message).toMatch(/is sent: only a scheduled message can be cancelled/);
    expect((await call('POST', `/v1/agents/${alice}/messages/msg_01jzzzzzzzzzzzzzzzzzzzzzzz/cancel`)).body.error.message).toBe('message msg_01jzzzzzzzzzzzzzzzzzzzzzzz not found');
  });

  it('runs the gate at acceptance: a held scheduled message is reviewed now and, approved, still waits for its send_at', async () => {
    const sendAt = later(HOUR);
    const held = await ok(call('POST', `/v1/agents/${careful}/messages`, { to: ['lee@example.com'], subject: 'Held and scheduled', text: 'x', send_at: sendAt }), 202);
    expect(held).toMatchObject({ status: 'pending_review', send_at: sendAt });
    // The reviewer is told when it goes out if approved: in the review, and in the notification.
    expect(await ok(call('GET', `/v1/reviews/${held.review_id}`))).toMatchObject({ send_at: sendAt });
    const notice = (await reviewMailFor(gw, held.id)).text;
    expect(notice).toMatch(new RegExp(`^Scheduled for ${sendAt.slice(0, 10)} ${sendAt.slice(11, 16)}(:\\d\\d)? UTC; approving before then sends it at that time`, 'm'));
    // Held mail is not in the mailbox: cancelling it is not found, as reading it is.
    expect((await call('POST', `/v1/agents/${careful}/messages/${held.id}/cancel`)).status).toBe(404);
    await ok(call('POST', `/v1/reviews/${held.review_id}/approve`, {}));
    expect((await message(held.id)).status).toBe('scheduled');
    expect(await eventsAbout('email.scheduled')).toContain(held.id);
    await twoClaims(log);
    expect((await message(held.id)).status).toBe('scheduled');
    expect(copiesIn(sink, held.message_id_header)).toEqual([]);
    clock.advance(HOUR);
    await statusBecomes(held.id, 'sent');
    expect(copiesIn(sink, held.message_id_header)).toHaveLength(1);
  });

  it('refuses a send_at in the past or beyond outbound.max_schedule_days, naming the field', async () => {
    const past = await call('POST', `/v1/agents/${alice}/messages`, { to: ['x@example.com'], text: 'x', send_at: later(-1000) });
    expect(past.status).toBe(422);
    expect(past.body.error.message).toMatch(/^body\.send_at must be in the future/);
    const far = await call('POST', `/v1/agents/${alice}/messages`, { to: ['x@example.com'], text: 'x', send_at: later(366 * 24 * HOUR) });
    expect(far.status).toBe(422);
    expect(far.body.error.message).toContain('outbound.max_schedule_days = 365');
  });

  it('create_draft, send_draft, send with send_at and cancel_scheduled over MCP', async () => {
    const key = (await ok(call('POST', '/v1/account/api-keys', { scope: 'agent', agent_address: alice }), 201)).key as string;
    const client = new Client({ name: 'drafts-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    const textOf = (result: Json) => (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    try {
      const created = await client.callTool({ name: 'create_draft', arguments: { to: ['mia@example.com'], subject: 'Via MCP', text: 'from a model' } });
      expect(created.isError, textOf(created)).toBeFalsy();
      const draft = JSON.parse((created.content as Array<{ text: string }>)[1]!.text) as { id: string };
      const sent = await client.callTool({ name: 'send_draft', arguments: { draft_id: draft.id } });
      expect(textOf(sent)).toContain('Queued for delivery');
      const scheduled = await client.callTool({ name: 'send', arguments: { to: ['mia@example.com'], subject: 'Via MCP, later', text: 'x', send_at: later(HOUR) } });
      expect(textOf(scheduled)).toContain('Scheduled as');
      const { id } = JSON.parse((scheduled.content as Array<{ text: string }>)[1]!.text) as { id: string };
      expect(textOf(await client.callTool({ name: 'cancel_scheduled', arguments: { message_id: id } }))).toContain('will not be sent');
      expect((await message(id)).status).toBe('cancelled');
    } finally {
      await client.close();
    }
  });
});

describe.runIf(ENGINES.includes('postgres'))('scheduled sending across two replicas (postgres)', () => {
  const clock = new TestClock();
  const log = new StatementLog();
  let first: TestGateway;
  let second: TestGateway;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink();
    first = await startTestGateway({ engine: 'postgres', clock, resolver: createFakeResolver({}), plugins: [log], env: upstreamEnv(sink) });
    second = await startTestGateway({ engine: 'postgres', clock, resolver: createFakeResolver({}), replicaOf: first, env: upstreamEnv(sink) });
    expect((await first.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'alice' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await sink?.close();
  });

  it('sends each scheduled message once when both replicas find it due', async () => {
    const sendAt = new Date(clock.now().getTime() + HOUR).toISOString();
    const accepted: Array<{ id: string; message_id_header: string }> = [];
    for (let i = 0; i < 24; i++) {
      const via = i % 2 ? second : first;
      const res = await via.api(`/v1/agents/${alice}/messages`, { method: 'POST', body: JSON.stringify({ to: [`r${i}@example.com`], subject: `replica ${i}`, text: 'x', send_at: sendAt }) });
      expect(res.status).toBe(202);
      accepted.push((await res.json()) as { id: string; message_id_header: string });
    }
    await twoClaims(log);
    clock.advance(HOUR);
    await until('every scheduled message sent', async () => {
      const rows = await first.gateway.database.db.selectFrom('messages').select('status').where('id', 'in', accepted.map((a) => a.id)).execute();
      return rows.every((r) => r.status === 'sent');
    });
    for (const a of accepted) expect(copiesIn(sink, a.message_id_header), a.id).toHaveLength(1);
    const attempts = await first.gateway.database.db.selectFrom('messages').select('attempts').where('id', 'in', accepted.map((a) => a.id)).execute();
    expect(attempts.map((r) => r.attempts)).toEqual(accepted.map(() => 1));
  });
});
