/**
 * The authorization table for held mail (messages/visibility.ts; docs/SECURITY.md, "Who sees
 * what"): every route of the OpenAPI document and every MCP tool that takes a message id, for mail
 * held for review, rejected and blocked in either direction, with the agent's key, its account's
 * key and another tenant's keys, answers exactly as for an id that does not exist, while the
 * control message answers 200. Replies and forwards of hidden mail queue nothing and send nothing
 * (the upstream sink sees the control's replies and forwards, never anything of hidden mail). The
 * lists, search, conversations, events and the WebSocket show nothing of quarantined inbound mail.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventId, newId } from '../ids.js';
import { TestListener } from '../realtime/test-listener.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { until } from '../testing/until.js';
import { ATTACHMENT_TEXT, HIDDEN_CASES, makeHiddenMail, mimeWithAttachment, type HiddenMail } from './hidden-mail-fixtures.js';

/** What each message-id route is called with, and what the control answers to a key that sees it. */
const ROUTES: Record<string, { body?: unknown; ok: number }> = {
  'GET /v1/agents/{address}/messages/{id}': { ok: 200 },
  'PATCH /v1/agents/{address}/messages/{id}': { body: { read: true }, ok: 200 },
  'GET /v1/agents/{address}/messages/{id}/raw': { ok: 200 },
  'GET /v1/agents/{address}/messages/{id}/attachments/{index}': { ok: 200 },
  'POST /v1/agents/{address}/messages/{id}/reply': { body: { text: 'a reply' }, ok: 202 },
  'POST /v1/agents/{address}/messages/{id}/forward': { body: { to: ['forward@example.net'], text: 'a forward' }, ok: 202 },
  'POST /v1/agents/{address}/messages/{id}/labels': { body: { add: ['seen'] }, ok: 200 },
  // The control is received mail, not a scheduled send: it is there (409), not unknown (404).
  'POST /v1/agents/{address}/messages/{id}/cancel': { ok: 409 },
  // To the trash and back, in this order, so the control ends where it started.
  'DELETE /v1/agents/{address}/messages/{id}': { ok: 204 },
  'POST /v1/agents/{address}/messages/{id}/restore': { ok: 200 },
};
const SENDING_ROUTES = ['POST /v1/agents/{address}/messages/{id}/reply', 'POST /v1/agents/{address}/messages/{id}/forward'];

/** The MCP tools that take a message id, and their arguments. */
const TOOLS: Record<string, (id: string) => Record<string, unknown>> = {
  get_message: (id) => ({ message_id: id }),
  get_attachment: (id) => ({ message_id: id, index: 0 }),
  mark_read: (id) => ({ message_ids: [id] }),
  reply: (id) => ({ message_id: id, text: 'a reply over MCP' }),
  forward: (id) => ({ message_id: id, to: ['forward@example.net'], text: 'a forward over MCP' }),
  label_message: (id) => ({ message_id: id, add: ['seen'] }),
  cancel_scheduled: (id) => ({ message_id: id }),
  // Last: it puts the control in the trash, and the test restores it after each key.
  delete_message: (id) => ({ message_id: id }),
};
const SENDING_TOOLS = ['reply', 'forward'];
/** Tools that refuse the control for what it is (received mail is not scheduled: conflict), not as unknown. */
const REFUSING_THE_CONTROL = ['cancel_scheduled'];

/** A route's path parameters that name a message: `{id}` under `messages`, or any `{…message…}`. */
function takesMessageId(path: string): boolean {
  const segments = path.split('/');
  return segments.some((s, i) => /^\{.+\}$/.test(s) && (segments[i - 1] === 'messages' || /message/i.test(s)));
}

const textOf = (result: unknown) => ((result as { content?: Array<{ text?: string }> }).content ?? []).map((c) => c.text ?? '').join('\n');

describe.each(ENGINES)('who sees held mail (%s)', (engine) => {
  let gw: TestGateway;
  let sink: SmtpSink;
  let mail: HiddenMail;
  const open: Client[] = [];

  /** Who asks, which mailbox it names, and whether it sees the control message. */
  const principals = () => [
    { who: 'agent key', key: mail.keys.agent, address: mail.bot, mcpAgent: undefined, sees: true },
    { who: 'account key', key: mail.keys.account, address: mail.bot, mcpAgent: mail.bot, sees: true },
    { who: "other tenant's account key", key: mail.keys.otherAccount, address: mail.bot, mcpAgent: mail.bot, sees: false },
    { who: "other tenant's agent key", key: mail.keys.otherAgent, address: mail.stranger, mcpAgent: undefined, sees: false },
  ];

  /** A response as the table compares it: status, type and body, without the request id, with the id asked for as `<id>`. */
  async function answer(res: Response, id: string) {
    const text = await res.text();
    let body = text;
    try {
      const parsed = JSON.parse(text) as { error?: { request_id?: string } };
      if (parsed.error) delete parsed.error.request_id;
      body = JSON.stringify(parsed);
    } catch {
      // Not JSON: a raw message or an attachment, compared as it is.
    }
    return { status: res.status, type: res.headers.get('content-type'), body: body.replaceAll(id, '<id>') };
  }

  function call(route: string, p: { key: string; address: string }, id: string) {
    const [method, template] = route.split(' ') as [string, string];
    const values: Record<string, string> = { address: p.address, id, index: '0' };
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`${route}: no value for {${name}}; add it to this table`);
      return encodeURIComponent(value);
    });
    const body = ROUTES[route]?.body;
    return gw.api(path, { method, key: p.key, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }

  async function connect(key: string): Promise<Client> {
    const client = new Client({ name: 'visibility-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    open.push(client);
    return client;
  }

  async function tool(client: Client, name: string, p: { mcpAgent: string | undefined }, id: string) {
    const result = await client.callTool({ name, arguments: { ...TOOLS[name]!(id), ...(p.mcpAgent ? { agent: p.mcpAgent } : {}) } });
    return { isError: result.isError === true, text: textOf(result).replaceAll(id, '<id>').replace(/\(request [^)]+\)/g, '(request)') };
  }

  /** Mail the agent sent that reached the upstream (reviewer notifications come from review@…). */
  const agentMailAtSink = () => sink.messages.filter((m) => m.mailFrom === mail.bot).map((m) => m.raw.toString('utf8'));
  const hiddenMarks = () => HIDDEN_CASES.map((c) => mail.marks[c]);
  const inboundHidden = () => HIDDEN_CASES.filter((c) => c.endsWith('inbound'));

  beforeAll(async () => {
    sink = await startSmtpSink();
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      env: {
        ...upstreamEnv(sink),
      },
    });
    mail = await makeHiddenMail(gw);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => {})));
    await gw?.close();
    await sink?.close();
  });

  it('the table covers every route of the OpenAPI document and every MCP tool that takes a message id', async () => {
    const doc = (await (await gw.api('/v1/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(routes.filter((r) => takesMessageId(r.split(' ')[1]!)).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const key of [mail.keys.agent, mail.keys.account]) {
      const { tools } = await (await connect(key)).listTools();
      const withMessageId = tools.filter((t) => Object.keys(t.inputSchema.properties ?? {}).some((p) => /^message_ids?$/.test(p)));
      expect(withMessageId.map((t) => t.name).sort()).toEqual(Object.keys(TOOLS).sort());
    }
  });

  it('REST: held, rejected and blocked mail answers exactly as an unknown id, for every key', async () => {
    for (const route of Object.keys(ROUTES)) {
      for (const p of principals()) {
        const unknownId = newId('message');
        const unknown = await answer(await call(route, p, unknownId), unknownId);
        expect(unknown.status, `${route} (${p.who}) unknown id`).toBe(404);
        for (const c of HIDDEN_CASES) {
          const id = mail.ids[c];
          expect(await answer(await call(route, p, id), id), `${route} (${p.who}) ${c}`).toEqual(unknown);
        }
      }
    }
  });

  it('MCP through /mcp: held, rejected and blocked mail answers exactly as an unknown id, for every key', async () => {
    for (const p of principals()) {
      const client = await connect(p.key);
      for (const name of Object.keys(TOOLS)) {
        const unknownId = newId('message');
        const unknown = await tool(client, name, p, unknownId);
        expect(unknown.isError, `${name} (${p.who}) unknown id`).toBe(true);
        expect(unknown.text).toMatch(/^e2a not_found: /);
        for (const c of HIDDEN_CASES) expect(await tool(client, name, p, mail.ids[c]), `${name} (${p.who}) ${c}`).toEqual(unknown);
      }
    }
  });

  it('the control answers on every route and tool to the keys that see it; its replies and forwards reach the upstream, nothing of hidden mail does', async () => {
    const id = mail.ids.control;
    let sends = 0;
    for (const route of Object.keys(ROUTES)) {
      for (const p of principals()) {
        const got = await answer(await call(route, p, id), id);
        if (p.sees) {
          expect(got.status, `${route} (${p.who}) control`).toBe(ROUTES[route]!.ok);
          if (SENDING_ROUTES.includes(route)) sends++;
        } else {
          const unknownId = newId('message');
          expect(got, `${route} (${p.who}) control`).toEqual(await answer(await call(route, p, unknownId), unknownId));
        }
      }
    }
    const attachment = await gw.api(`/v1/agents/${mail.bot}/messages/${id}/attachments/0`, { key: mail.keys.agent });
    expect(await attachment.text()).toBe(`${ATTACHMENT_TEXT} ${mail.marks.control}`);
    for (const p of principals()) {
      const client = await connect(p.key);
      for (const name of Object.keys(TOOLS)) {
        const got = await tool(client, name, p, id);
        expect(got.isError, `${name} (${p.who}) control: ${got.text}`).toBe(!p.sees || REFUSING_THE_CONTROL.includes(name));
        if (p.sees && REFUSING_THE_CONTROL.includes(name)) expect(got.text).toMatch(/^e2a conflict: /);
        if (p.sees && SENDING_TOOLS.includes(name)) sends++;
      }
      // delete_message put the control in the trash: the next key, and the tests after this one, read it in the mailbox.
      if (p.sees) expect((await gw.api(`/v1/agents/${mail.bot}/messages/${id}/restore`, { method: 'POST', key: mail.keys.agent })).status).toBe(200);
    }
    expect(sends).toBe(8);
    // The positive signal: every reply and forward of the control, all asked for after every
    // attempt on hidden mail, arrived upstream.
    await until('the replies and forwards of the control at the upstream', () => agentMailAtSink().filter((raw) => raw.includes(mail.marks.control)).length >= sends);
    for (const raw of agentMailAtSink()) for (const m of hiddenMarks()) expect(raw).not.toContain(m);
    // Nor is anything queued or held that was made from hidden mail.
    const made = await gw.gateway.database.db
      .selectFrom('messages')
      .select(['id', 'subject', 'status'])
      .where('direction', '=', 'outbound')
      .where((eb) => eb.or([eb('subject', 'like', 'Re:%'), eb('subject', 'like', 'Fwd:%')]))
      .execute();
    expect(made).toHaveLength(sends);
    for (const row of made) expect(row.subject).toContain(mail.marks.control);
  });

  it('lists, search and conversations show nothing of hidden mail, to any key', async () => {
    const db = gw.gateway.database.db;
    for (const key of [mail.keys.agent, mail.keys.account]) {
      const list = (await (await gw.api(`/v1/agents/${mail.bot}/messages?limit=100`, { key })).json()) as { items: Array<{ id: string }> };
      expect(list.items.map((m) => m.id)).toContain(mail.ids.control);
      for (const c of HIDDEN_CASES) {
        expect(list.items.map((m) => m.id), c).not.toContain(mail.ids[c]);
        const search = (await (await gw.api(`/v1/agents/${mail.bot}/messages?subject_contains=${mail.marks[c]}`, { key })).json()) as { items: unknown[] };
        expect(search.items, c).toEqual([]);
      }
      const conversations = JSON.stringify(await (await gw.api(`/v1/agents/${mail.bot}/conversations?limit=100`, { key })).json());
      for (const m of hiddenMarks()) expect(conversations).not.toContain(m);
      for (const c of HIDDEN_CASES) {
        const { conversation_id } = await db.selectFrom('messages').select('conversation_id').where('id', '=', mail.ids[c]).executeTakeFirstOrThrow();
        const unknownId = newId('conversation');
        const unknown = await answer(await gw.api(`/v1/agents/${mail.bot}/conversations/${unknownId}`, { key }), unknownId);
        expect(await answer(await gw.api(`/v1/agents/${mail.bot}/conversations/${conversation_id}`, { key }), conversation_id), c).toEqual(unknown);
      }
    }
    const client = await connect(mail.keys.agent);
    const listed = textOf(await client.callTool({ name: 'list_messages', arguments: { limit: 100 } }));
    expect(listed).toContain(mail.ids.control);
    const inbox = textOf(await client.callTool({ name: 'check_inbox', arguments: { limit: 20 } }));
    for (const c of HIDDEN_CASES) {
      expect(listed, c).not.toContain(mail.ids[c]);
      expect(inbox, c).not.toContain(mail.marks[c]);
    }
  });

  it('events and the WebSocket: nothing of quarantined inbound mail reaches the agent; its own held sends report their outcome', async () => {
    const db = gw.gateway.database.db;
    const all: Array<{ id: string; type: string; data: { message_id?: string } }> = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = (await (await gw.api(`/v1/events?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { key: mail.keys.agent })).json()) as { items: typeof all; next_cursor: string | null };
      all.push(...page.items);
      cursor = page.next_cursor;
    }
    const about = (c: (typeof HIDDEN_CASES)[number]) => all.filter((e) => e.data.message_id === mail.ids[c]).map((e) => e.type).sort();
    for (const c of inboundHidden()) expect(about(c), c).toEqual([]);
    expect(about('held outbound')).toEqual(['email.review_requested']);
    expect(about('rejected outbound')).toEqual(['email.review_rejected', 'email.review_requested']);
    expect(about('blocked outbound')).toEqual(['email.blocked']);

    // The account's own events about them exist, and to the agent key each is an unknown event.
    const accountEvents = await db.selectFrom('events').select('id').where(sql<string>`data->>'message_id'`, 'in', inboundHidden().map((c) => mail.ids[c])).execute();
    expect(accountEvents.length).toBeGreaterThanOrEqual(inboundHidden().length);
    const unknownEvent = eventId(newId('message'), 'email.received');
    const unknown = await answer(await gw.api(`/v1/events/${unknownEvent}`, { key: mail.keys.agent }), unknownEvent);
    for (const { id } of accountEvents) {
      expect(await answer(await gw.api(`/v1/events/${id}`, { key: mail.keys.account }), id), id).toMatchObject({ status: 200 });
      expect(await answer(await gw.api(`/v1/events/${id}`, { key: mail.keys.agent }), id), id).toEqual(unknown);
    }

    // The WebSocket replays the agent's events in order: once its newest one is in, all are.
    const agent = await db.selectFrom('agents').select('id').where('address', '=', mail.bot).executeTakeFirstOrThrow();
    const newest = await db.selectFrom('events').select('id').where('agent_id', '=', agent.id).orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    const listener = await TestListener.connect(gw.gateway.httpUrl, mail.bot, { key: mail.keys.agent });
    try {
      await listener.until((frames) => frames.some((f) => f.type === 'event' && f.event.id === newest.id), 'the agent’s newest event');
      const seen = JSON.stringify(listener.frames);
      for (const c of inboundHidden()) {
        expect(seen, c).not.toContain(mail.ids[c]);
        expect(seen, c).not.toContain(mail.marks[c]);
      }
      expect(seen).toContain(mail.ids['held outbound']);
    } finally {
      listener.ws.close();
    }
  });

  it('a reviewer reads held mail through the reviews API; approval shows it to the agent, in its conversation', async () => {
    const db = gw.gateway.database.db;
    const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
    const asAgent = (id: string) => gw.api(`/v1/agents/${mail.bot}/messages/${id}`, { key: mail.keys.agent });
    const conversation = async (id: string) => {
      const { conversation_id } = await db.selectFrom('messages').select('conversation_id').where('id', '=', id).executeTakeFirstOrThrow();
      return gw.api(`/v1/agents/${mail.bot}/conversations/${conversation_id}`, { key: mail.keys.agent });
    };
    const review = async (messageId: string) => (await db.selectFrom('reviews').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow()).id;

    await gw.api(`/v1/agents/${mail.bot}/protection`, { method: 'PUT', body: JSON.stringify({ inbound: { policy: 'allowlist', action: 'review' }, outbound: { policy: 'allowlist', action: 'review' } }) });
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [mail.bot], mimeWithAttachment({ to: mail.bot, subject: 'approve-in', body: 'released inbound body', messageId: 'approve-in@example.com' }));
    const inbound = (await db.selectFrom('messages').select('id').where('subject', '=', 'approve-in').executeTakeFirstOrThrow()).id;
    const sent = await post(`/v1/agents/${mail.bot}/messages`, { to: ['partner@example.net'], subject: 'approve-out', text: 'released outbound body' }, mail.keys.agent);
    const outbound = ((await sent.json()) as { id: string; status: string }).id;
    await gw.api(`/v1/agents/${mail.bot}/protection`, { method: 'PUT', body: '{}' });

    for (const [id, text] of [
      [inbound, 'released inbound body'],
      [outbound, 'released outbound body'],
    ] as const) {
      expect((await asAgent(id)).status).toBe(404);
      expect((await conversation(id)).status).toBe(404);
      const held = await gw.api(`/v1/reviews/${await review(id)}`);
      expect(((await held.json()) as { text: string }).text).toContain(text);
      expect((await gw.api(`/v1/reviews/${await review(id)}`, { key: mail.keys.agent })).status).toBe(403);
      expect((await post(`/v1/reviews/${await review(id)}/approve`, {})).status).toBe(200);
      const shown = await asAgent(id);
      expect(shown.status).toBe(200);
      expect(((await shown.json()) as { text: string }).text).toContain(text);
      const thread = (await (await conversation(id)).json()) as { message_count: number; messages: Array<{ id: string }> };
      expect(thread).toMatchObject({ message_count: 1, messages: [{ id }] });
    }
  });
});
