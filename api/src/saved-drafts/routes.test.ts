/**
 * Saved drafts over real HTTP, on each engine: create (every field optional), get, list, replace,
 * delete; the send's checks applied on save; the per-agent cap; and the boundaries: another
 * account's and another agent's drafts answer exactly as drafts that do not exist. Nothing here is
 * sent (outbound_smtp.mode none): sending a draft is in outbound/scheduled.test.ts.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';

type Json = Record<string, any>;

const bot = `bot@${TEST_DOMAIN}`;
const peer = `peer@${TEST_DOMAIN}`;
const MAX_DRAFTS = 12;

describe.each(ENGINES)('saved drafts (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  /** Another account's key, the bot's agent key and its peer's. */
  let keys: { other: string; bot: string; peer: string };

  const call = async (method: string, path: string, body?: unknown, key?: string) => {
    const res = await gw.api(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }), ...(key ? { key } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  const ok = async (p: Promise<{ status: number; body: Json }>, status = 200) => {
    const r = await p;
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };
  const drafts = (agent = bot) => `/v1/agents/${agent}/drafts`;

  beforeAll(async () => {
    gw = await startTestGateway({ engine, clock, resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'none', E2A_OUTBOUND_MAX_DRAFTS_PER_AGENT: String(MAX_DRAFTS) } });
    for (const local_part of ['bot', 'peer', 'full']) await ok(call('POST', '/v1/agents', { local_part }), 201);
    const agentKey = async (address: string) => (await ok(call('POST', '/v1/account/api-keys', { scope: 'agent', agent_address: address }), 201)).key as string;
    const other = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
    await ok(call('POST', '/v1/agents', { local_part: 'stranger' }, other), 201);
    keys = { other, bot: await agentKey(bot), peer: await agentKey(peer) };
  });
  afterAll(() => gw?.close());

  it('creates an empty draft, fills it, reads it back whole and lists it without bodies', async () => {
    const empty = await ok(call('POST', drafts(), {}), 201);
    expect(empty).toMatchObject({ agent_address: bot, to: [], cc: [], bcc: [], subject: '', attachments: [] });
    expect(empty.id).toMatch(/^drf_/);
    expect(empty.created_at).toBe(empty.updated_at);

    const sendAt = new Date(clock.now().getTime() + 3600_000).toISOString();
    const attachment = { filename: 'notes.txt', content_type: 'text/plain', content: Buffer.from('attached').toString('base64') };
    const full = await ok(
      call('POST', drafts(), { to: ['Dana <dana@example.com>'], cc: [{ address: 'erin@example.com', name: 'Erin' }], subject: 'Plan', text: 'first thoughts', html: '<p>first</p>', attachments: [attachment], priority: 'urgent', send_at: sendAt }),
      201,
    );
    const read = await ok(call('GET', `${drafts()}/${full.id}`));
    expect(read).toEqual(full);
    expect(read).toMatchObject({ text: 'first thoughts', html: '<p>first</p>', priority: 'urgent', send_at: sendAt, attachments: [attachment] });

    const page = await ok(call('GET', drafts()));
    expect(page.items.map((d: Json) => d.id).slice(0, 2)).toEqual([full.id, empty.id]);
    expect(page.items[0]).toEqual({ id: full.id, agent_address: bot, to: ['Dana <dana@example.com>'], subject: 'Plan', attachment_count: 1, in_reply_to: null, send_at: sendAt, created_at: full.created_at, updated_at: full.updated_at });
    expect(JSON.stringify(page)).not.toContain('first thoughts');

    // Paging: one at a time, newest first.
    const first = await ok(call('GET', `${drafts()}?limit=1`));
    const second = await ok(call('GET', `${drafts()}?limit=1&cursor=${first.next_cursor}`));
    expect([first.items[0].id, second.items[0].id]).toEqual([full.id, empty.id]);
  });

  it('stores a draft sealed: neither body nor attachment is in the row in the clear', async () => {
    const d = await ok(call('POST', drafts(), { to: ['dana@example.com'], subject: 'sealed', text: 'a secret body', attachments: [{ filename: 'a.txt', content: Buffer.from('a secret attachment').toString('base64') }] }), 201);
    const row = await gw.gateway.database.db.selectFrom('saved_drafts').selectAll().where('id', '=', d.id).executeTakeFirstOrThrow();
    const stored = Buffer.from(row.content).toString('latin1');
    expect(stored).not.toContain('a secret body');
    expect(stored).not.toContain(Buffer.from('a secret attachment').toString('base64'));
  });

  it('replaces a draft with PUT: omitted fields take their defaults; a GET can be PUT back unchanged', async () => {
    const d = await ok(call('POST', drafts(), { to: ['dana@example.com'], subject: 'v1', text: 'one' }), 201);
    clock.advance(1000);
    const replaced = await ok(call('PUT', `${drafts()}/${d.id}`, { subject: 'v2' }));
    expect(replaced).toMatchObject({ id: d.id, subject: 'v2', to: [], created_at: d.created_at });
    expect(replaced.text).toBeUndefined();
    expect(replaced.updated_at > d.updated_at).toBe(true);
    const { id: _id, agent_address: _a, created_at: _c, updated_at: _u, ...fields } = await ok(call('GET', `${drafts()}/${d.id}`));
    expect(await ok(call('PUT', `${drafts()}/${d.id}`, fields))).toMatchObject({ subject: 'v2', to: [] });
  });

  it('deletes a draft; it is then not found', async () => {
    const d = await ok(call('POST', drafts(), { subject: 'short-lived' }), 201);
    expect((await call('DELETE', `${drafts()}/${d.id}`)).status).toBe(204);
    expect((await call('GET', `${drafts()}/${d.id}`)).body.error).toMatchObject({ code: 'not_found', message: `draft ${d.id} not found` });
    expect((await call('DELETE', `${drafts()}/${d.id}`)).status).toBe(404);
    expect((await call('PUT', `${drafts()}/${d.id}`, {})).status).toBe(404);
  });

  it('refuses on save what a send would refuse, naming the field', async () => {
    const refused = async (body: Json, path: string) => {
      const r = await call('POST', drafts(), body);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(JSON.stringify(r.body.error)).toContain(path);
      return r.body.error.message as string;
    };
    await refused({ to: ['a@x.com, b@y.com'] }, 'body.to[0]');
    await refused({ headers: { 'X-Mailer': 'mine' } }, 'X-Mailer');
    await refused({ attachments: [{ filename: 'a.bin', content: 'not base64!' }] }, 'body.attachments[0].content');
    expect(await refused({ send_at: new Date(clock.now().getTime() - 1000).toISOString() }, 'body.send_at')).toMatch(/in the future/);
    expect(await refused({ send_at: new Date(clock.now().getTime() + 400 * 86_400_000).toISOString() }, 'body.send_at')).toMatch(/outbound\.max_schedule_days = 365/);
    const at = clock.now().getTime() + 3600_000;
    await refused({ send_at: new Date(at).toISOString(), expires_at: new Date(at - 1000).toISOString() }, 'body.expires_at');
    await refused({ reply_all: true }, 'body.reply_all');
    await refused({ in_reply_to: 'msg_01jzzzzzzzzzzzzzzzzzzzzzzz', conversation_id: 'conv_x' }, 'body.conversation_id');
    await refused({ in_reply_to: 'not an id' }, 'body.in_reply_to');
    await refused({ conversation_id: 'conv_01jnotthisagents' }, 'body.conversation_id');
    // A reply to a message the mailbox does not show is refused as that message is unknown.
    const missing = await call('POST', drafts(), { in_reply_to: 'msg_01jzzzzzzzzzzzzzzzzzzzzzzz' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('message msg_01jzzzzzzzzzzzzzzzzzzzzzzz not found');
  });

  it(`caps the drafts an agent holds at outbound.max_drafts_per_agent (${MAX_DRAFTS}) with 409`, async () => {
    const full = `full@${TEST_DOMAIN}`;
    for (let i = 0; i < MAX_DRAFTS; i++) await ok(call('POST', drafts(full), { subject: `d${i}` }), 201);
    const over = await call('POST', drafts(full), { subject: 'one too many' });
    expect(over.status).toBe(409);
    expect(over.body.error.message).toContain(`outbound.max_drafts_per_agent = ${MAX_DRAFTS}`);
    // Another agent is not affected.
    await ok(call('POST', drafts(peer), { subject: 'peer has room' }), 201);
  });

  it("hides a draft from another account and another agent exactly as one that does not exist; an agent key sees its own agent's only", async () => {
    const mine = await ok(call('POST', drafts(), { to: ['dana@example.com'], subject: 'tenant A draft', text: 'private' }), 201);
    const unknown = 'drf_01jzzzzzzzzzzzzzzzzzzzzzzz';
    const errorOf = async (method: string, path: string, key: string, body?: unknown) => {
      const r = await call(method, path, body, key);
      return { status: r.status, code: r.body?.error?.code, message: r.body?.error?.message };
    };
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PUT', '', { subject: 'intruder' }],
      ['DELETE', '', undefined],
      ['POST', '/send', undefined],
    ] as const) {
      // Another account: the agent itself is unknown to it, whichever draft id it names.
      const other = await errorOf(method, `${drafts()}/${mine.id}${suffix}`, keys.other, body);
      expect(other).toEqual(await errorOf(method, `${drafts()}/${unknown}${suffix}`, keys.other, body));
      expect(other).toEqual({ status: 404, code: 'not_found', message: `agent ${bot} not found` });
      // The peer's key: the bot's mailbox is not its own.
      expect(await errorOf(method, `${drafts()}/${mine.id}${suffix}`, keys.peer, body)).toEqual({ status: 404, code: 'not_found', message: `agent ${bot} not found` });
      // The bot's draft id under the peer's own address: not found, as an unknown id is.
      const underPeer = await errorOf(method, `${drafts(peer)}/${mine.id}${suffix}`, keys.peer, body);
      const unknownUnderPeer = await errorOf(method, `${drafts(peer)}/${unknown}${suffix}`, keys.peer, body);
      expect(underPeer).toEqual({ ...unknownUnderPeer, message: unknownUnderPeer.message.replace(unknown, mine.id) });
      expect(underPeer).toMatchObject({ status: 404, code: 'not_found', message: `draft ${mine.id} not found` });
    }
    // Listings: the other account and the peer see nothing of the bot's.
    expect((await call('GET', drafts(), undefined, keys.other)).status).toBe(404);
    const peerList = await ok(call('GET', drafts(peer), undefined, keys.peer));
    expect(JSON.stringify(peerList)).not.toContain('tenant A draft');
    // The bot's own key reads and changes its drafts.
    expect((await ok(call('GET', `${drafts()}/${mine.id}`, undefined, keys.bot))).subject).toBe('tenant A draft');
    expect((await ok(call('GET', drafts(), undefined, keys.bot))).items.map((d: Json) => d.id)).toContain(mine.id);
    // Untouched by everything refused above.
    expect(await ok(call('GET', `${drafts()}/${mine.id}`))).toEqual(mine);
  });
});
