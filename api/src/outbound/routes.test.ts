/**
 * The sending API's contract with outbound_smtp.mode none (nothing leaves the process): idempotency,
 * limits, header-injection refusals, policy outcomes, reply/forward composition, key scope.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { buildMessage } from '@e2a/relay/testing';
import { NO_ROUTE_REASON } from '../workers/outbound-send.js';

const post = (body: unknown, headers: Record<string, string> = {}) => ({ method: 'POST', body: JSON.stringify(body), headers });
const ok = { to: ['dana@example.com'], subject: 'hi', text: 'hello' };
const b64 = (n: number) => Buffer.alloc(n, 1).toString('base64');

describe.each(ENGINES)('sending API (%s)', (engine) => {
  let gw: TestGateway;
  const agent = `ada@${TEST_DOMAIN}`;
  const path = `/v1/agents/${agent}/messages`;

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      env: {
        E2A_OUTBOUND_SMTP_MODE: 'none',
        E2A_OUTBOUND_POLL_INTERVAL_MS: '50',
        E2A_OUTBOUND_MAX_RECIPIENTS: '3',
        E2A_OUTBOUND_MAX_ATTACHMENTS: '2',
        E2A_OUTBOUND_MAX_ATTACHMENT_BYTES: '2048',
        E2A_SMTP_MAX_MESSAGE_BYTES: '16384',
      },
    });
    for (const local_part of ['ada', 'ben']) expect((await gw.api('/v1/agents', post({ local_part }))).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
  });

  const send = async (body: unknown, headers: Record<string, string> = {}, at = path) => {
    const res = await gw.api(at, post(body, headers));
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('Idempotency-Key: same request → same response, other request → 422, in flight → 409', async () => {
    const first = await send({ ...ok, subject: 'idem' }, { 'Idempotency-Key': 'k-1' });
    expect(first.status).toBe(202);
    const again = await send({ ...ok, subject: 'idem' }, { 'Idempotency-Key': 'k-1' });
    expect(again).toEqual(first);
    const other = await send({ ...ok, subject: 'different' }, { 'Idempotency-Key': 'k-1' });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_mismatch');

    // A request still running elsewhere holds its key.
    const { requestFingerprint } = await import('./idempotency.js');
    const agentRow = await gw.gateway.database.db.selectFrom('agents').select('id').where('address', '=', agent).executeTakeFirstOrThrow();
    const body = { ...ok, subject: 'slow', to: ['dana@example.com'], cc: [], bcc: [], attachments: [] };
    await gw.gateway.database.db
      .insertInto('idempotency_keys')
      .values({ user_id: gw.userId, key: 'k-busy', request_hash: requestFingerprint({ op: 'send', agent: agentRow.id, original: null, body }), state: 'in_flight', response_status: null, response_body: null, created_at: new Date() })
      .execute();
    const busy = await send(body, { 'Idempotency-Key': 'k-busy' });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('idempotency_in_flight');

    // Two at once with one key: one message, never two.
    const pair = await Promise.all([send({ ...ok, subject: 'race' }, { 'Idempotency-Key': 'k-race' }), send({ ...ok, subject: 'race' }, { 'Idempotency-Key': 'k-race' })]);
    expect(pair.map((p) => p.status).every((s) => s === 202 || s === 409)).toBe(true);
    const rows = await gw.gateway.database.db.selectFrom('messages').select('id').where('subject', '=', 'race').execute();
    expect(rows).toHaveLength(1);
  });

  it.each([
    ['recipients', { ...ok, to: ['a@x.com', 'b@x.com'], cc: ['c@x.com'], bcc: ['d@x.com'] }, 'outbound.max_recipients'],
    ['attachment count', { ...ok, attachments: [1, 2, 3].map((i) => ({ filename: `${i}.bin`, content: b64(10) })) }, 'outbound.max_attachments'],
    ['attachment size', { ...ok, attachments: [{ filename: 'big.bin', content: b64(4096) }] }, 'outbound.max_attachment_bytes'],
    ['total size', { ...ok, text: 'x'.repeat(20_000) }, 'smtp.max_message_bytes'],
    ['no recipient', { subject: 'x', text: 'y' }, 'at least one recipient'],
  ])('limit: %s → 422 naming it', async (_name, body, named) => {
    const res = await send(body);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain(named);
  });

  it.each([
    ['subject', { ...ok, subject: 'hi\r\nBcc: evil@x.com' }],
    ['address with a header', { ...ok, to: ['dana@example.com\r\nBcc: evil@x.com'] }],
    ['two addresses in one entry', { ...ok, to: ['dana@example.com, evil@x.com'] }],
    ['address hidden in a name', { ...ok, to: ['dana@example.com evil@x.com'] }],
    ['display name', { ...ok, to: [{ address: 'dana@example.com', name: 'Dana\r\nBcc: evil@x.com' }] }],
    ['object address', { ...ok, to: [{ address: 'dana@example.com>\nBcc: x@y.z' }] }],
    ['header name not allowed', { ...ok, headers: { Bcc: 'evil@x.com' } }],
    ['header name with CRLF', { ...ok, headers: { 'X-Priority\r\nBcc': '1' } }],
    ['header value', { ...ok, headers: { 'X-Priority': '1\r\nBcc: evil@x.com' } }],
    ['attachment filename', { ...ok, attachments: [{ filename: 'a.txt\r\nContent-Type: text/html', content: b64(3) }] }],
    ['reply_to', { ...ok, reply_to: ['x@y.com\nBcc: evil@x.com'] }],
  ])('header injection: %s → 422', async (_name, body) => {
    const res = await send(body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_error');
  });

  it('mode none: external mail fails at once with the fix in the reason', async () => {
    const res = await send({ ...ok, subject: 'nowhere' }, {}, `${path}?wait=sent&timeout=20`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('failed');
    expect(res.body.reason).toContain(NO_ROUTE_REASON);
  });

  const protect = (outbound: Record<string, unknown>) =>
    gw.gateway.database.db.updateTable('agents').set({ protection: JSON.stringify({ outbound }) }).where('address', '=', agent).execute();

  it('policy: block → 403 blocked_by_policy + stored + email.blocked; flag → accepted + email.flagged; review → pending_review', async () => {
    await protect({ policy: 'allowlist', allowlist: ['friend@example.com'], action: 'block' });
    const blocked = await send({ ...ok, subject: 'blocked one' });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('blocked_by_policy');
    const row = await gw.gateway.database.db.selectFrom('messages').select(['id', 'status']).where('subject', '=', 'blocked one').executeTakeFirstOrThrow();
    expect(row.status).toBe('blocked');
    const events = async (type: string) => ((await (await gw.api(`/v1/events?type=${type}`)).json()) as { items: Array<{ data: { message_id: string } }> }).items.map((e) => e.data.message_id);
    expect(await events('email.blocked')).toContain(row.id);

    await protect({ policy: 'allowlist', allowlist: ['friend@example.com'], action: 'flag' });
    const flagged = await send({ ...ok, subject: 'flagged one' });
    expect(flagged.status).toBe(202);
    expect(flagged.body.status).toBe('accepted');
    expect(await events('email.flagged')).toContain(flagged.body.id);

    await protect({ policy: 'allowlist', allowlist: ['friend@example.com'], action: 'review' });
    const held = await send({ ...ok, subject: 'held one' });
    expect(held.status).toBe(202);
    expect(held.body.status).toBe('pending_review');
    expect(held.body.review_id).toMatch(/^rev_/);
    expect(Date.parse(held.body.approval_expires_at)).toBeGreaterThan(Date.now());
    await protect({});
  });

  it('reply sets threading headers and recipients; forward attaches the original as message/rfc822', async () => {
    const original = buildMessage({
      from: 'Zoe <zoe@example.com>',
      to: [agent, 'other@example.com'],
      subject: 'Question',
      messageId: 'q-1@example.com',
      headers: ['Cc: carl@example.com', 'Reply-To: desk@example.com', 'References: <q-0@example.com>'],
    });
    await deliver(gw.gateway.smtpPort, 'zoe@example.com', [agent], original);
    const inbox = (await (await gw.api(`${path}?direction=inbound`)).json()) as { items: Array<{ id: string; subject: string; conversation_id: string }> };
    const q = inbox.items.find((m) => m.subject === 'Question')!;

    const reply = await send({ reply_all: true, text: 'answer' }, {}, `${path}/${q.id}/reply?wait=sent&timeout=20`);
    expect(reply.body.conversation_id).toBe(q.conversation_id);
    const raw = (await (await gw.api(`${path}/${reply.body.id}/raw`)).text()).split('\r\n\r\n')[0]!;
    expect(raw).toMatch(/^In-Reply-To: <q-1@example\.com>/m);
    expect(raw).toMatch(/^References: <q-0@example\.com> <q-1@example\.com>/m);
    expect(raw).toMatch(/^Subject: Re: Question/m);
    expect(raw).toMatch(/^To: desk@example\.com/m);
    expect(raw).toMatch(/^Cc: other@example\.com, carl@example\.com/m);
    expect(raw).not.toContain(`Cc: ${agent}`);

    const fwd = await send({ to: ['boss@example.com'], text: 'see below' }, {}, `${path}/${q.id}/forward?wait=sent&timeout=20`);
    const fwdRaw = await (await gw.api(`${path}/${fwd.body.id}/raw`)).text();
    expect(fwdRaw).toMatch(/^Subject: Fwd: Question/m);
    expect(fwdRaw).toMatch(/Content-Type: message\/rfc822/);
  });

  it('an agent key sends only as its own agent', async () => {
    const created = await gw.api('/v1/account/api-keys', post({ scope: 'agent', agent_address: `ben@${TEST_DOMAIN}` }));
    const key = ((await created.json()) as { key: string }).key;
    const own = await gw.api(`/v1/agents/ben@${TEST_DOMAIN}/messages`, { ...post(ok), key });
    expect(own.status).toBe(202);
    const other = await gw.api(path, { ...post(ok), key });
    expect(other.status).toBe(404);
  });
});
