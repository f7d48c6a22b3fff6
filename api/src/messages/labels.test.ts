/**
 * Labels (docs/LABELS.md) over HTTP on a whole gateway: user labels on messages and conversations
 * (add, remove, case-insensitive names, the `?label=` filter, counts, deletion, the cap), the
 * derived system labels, the events a change writes, and the boundaries: held mail cannot be
 * labelled through a mailbox, and another agent's or account's labels are unaddressable.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { HIDDEN_CASES, makeHiddenMail, type HiddenMail } from './hidden-mail-fixtures.js';

type Json = Record<string, any>;

describe.each(ENGINES)('labels (%s)', (engine) => {
  let gw: TestGateway;
  let mail: HiddenMail;
  /** Inbound messages delivered to bot here, by subject. */
  const ids: Record<string, string> = {};
  let sentId: string;
  const peer = `labelpeer@${TEST_DOMAIN}`;
  let peerKey: string;

  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const res = await gw.api(path, { method: init.method ?? 'GET', ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }), ...(init.key ? { key: init.key } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  const label = (id: string, body: unknown, key?: string) => call(`/v1/agents/${mail.bot}/messages/${id}/labels`, { method: 'POST', body, ...(key ? { key } : {}) });
  const listed = async (query: string, key?: string) => {
    const res = await call(`/v1/agents/${mail.bot}/messages?${query}`, key ? { key } : {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as Json[]).map((m) => m.id as string);
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_LABELS_MAX_PER_AGENT: '6' } });
    mail = await makeHiddenMail(gw);
    for (const subject of ['invoice march', 'invoice april', 'lunch']) {
      await deliver(gw.gateway.smtpPort, 'alice@example.com', [mail.bot], buildMessage({ to: mail.bot, subject, messageId: `${subject.replace(' ', '.')}@example.com` }));
      ids[subject] = (await gw.gateway.database.db.selectFrom('messages').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()).id;
    }
    const sent = await call(`/v1/agents/${mail.bot}/messages`, { method: 'POST', body: { to: ['partner@example.net'], subject: 'quote', text: 'here' }, key: mail.keys.agent });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    sentId = sent.body.id;
    expect((await call('/v1/agents', { method: 'POST', body: { address: peer } })).status).toBe(201);
    peerKey = (await call('/v1/account/api-keys', { method: 'POST', body: { scope: 'agent', agent_address: peer } })).body.key;
  });
  afterAll(() => gw?.close());

  it('adds and removes user labels in one change, keeping the first spelling of a name', async () => {
    const first = await label(ids['invoice march']!, { add: ['Invoices', 'todo'] }, mail.keys.agent);
    expect(first).toEqual({ status: 200, body: { labels: ['unread', 'Invoices', 'todo'] } });
    // Another case of a name is the same label.
    expect((await label(ids['invoice april']!, { add: ['INVOICES'] })).body.labels).toEqual(['unread', 'Invoices']);
    expect((await label(ids['invoice march']!, { add: ['urgent-ish'], remove: ['TODO', 'never-made'] })).body.labels).toEqual(['unread', 'Invoices', 'urgent-ish']);
    // Adding what is there changes nothing.
    expect((await label(ids['invoice april']!, { add: ['invoices'] })).body.labels).toEqual(['unread', 'Invoices']);

    const message = await call(`/v1/agents/${mail.bot}/messages/${ids['invoice march']}`, { key: mail.keys.agent });
    expect(message.body.labels).toEqual(['unread', 'Invoices', 'urgent-ish']);
    const summary = (await call(`/v1/agents/${mail.bot}/messages?limit=200`)).body.items.find((m: Json) => m.id === ids['invoice april']);
    expect(summary.labels).toEqual(['unread', 'Invoices']);
  });

  it('filters by label: one name, several (all of them), any case; an unknown name matches nothing', async () => {
    expect(new Set(await listed('label=invoices'))).toEqual(new Set([ids['invoice march'], ids['invoice april']]));
    expect(await listed('label=INVOICES&label=urgent-ish')).toEqual([ids['invoice march']]);
    expect(await listed('label=invoices&label=unread&direction=inbound&limit=1')).toHaveLength(1);
    expect(await listed('label=nothing-like-it')).toEqual([]);
    const bad = await call(`/v1/agents/${mail.bot}/messages?label=not%20a%20name`);
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/^query\.label: .*ASCII letters, digits/);
  });

  it('derives unread, sent and trash, and never shows held', async () => {
    const lunch = ids.lunch!;
    expect(await listed('label=unread&limit=200')).toContain(lunch);
    expect(await listed('label=unread&limit=200')).not.toContain(sentId);
    await call(`/v1/agents/${mail.bot}/messages/${lunch}`, { method: 'PATCH', body: { read: true } });
    expect((await call(`/v1/agents/${mail.bot}/messages/${lunch}`)).body.labels).toEqual([]);
    expect(await listed('label=unread&limit=200')).not.toContain(lunch);

    expect((await call(`/v1/agents/${mail.bot}/messages/${sentId}`)).body.labels).toEqual(['sent']);
    expect(await listed('label=sent&limit=200')).toEqual([sentId]);

    const held = await call(`/v1/agents/${mail.bot}/messages?label=held`);
    expect(held.status).toBe(422);
    expect(held.body.error.message).toContain('GET /v1/reviews');

    // In the trash (docs/RETENTION.md): out of the mailbox, listed by label=trash, labels kept.
    const trashed = ids['invoice april']!;
    await gw.gateway.database.db.updateTable('messages').set({ deleted_at: new Date() }).where('id', '=', trashed).execute();
    expect(await listed('label=trash')).toEqual([trashed]);
    expect(await listed('label=invoices')).toEqual([ids['invoice march']]);
    expect((await listed('label=trash&label=invoices'))).toEqual([trashed]);
    expect((await call(`/v1/agents/${mail.bot}/messages/${trashed}/labels`, { method: 'POST', body: {} })).body.labels).toEqual(['unread', 'trash', 'Invoices']);
    await gw.gateway.database.db.updateTable('messages').set({ deleted_at: null }).where('id', '=', trashed).execute();
  });

  it('refuses system names, names both added and removed, and malformed names, saying what to do', async () => {
    const id = ids.lunch!;
    const unread = await label(id, { add: ['Unread'] });
    expect(unread.status).toBe(422);
    expect(unread.body.error.message).toMatch(/^body\.add\.0: unread is a system label and cannot be added: .*PATCH/);
    const trash = await label(id, { remove: ['trash'] });
    expect(trash.status).toBe(422);
    expect(trash.body.error.details).toEqual([expect.objectContaining({ path: 'body.remove.0' })]);
    expect((await label(id, { add: ['held'] })).status).toBe(422);
    const both = await label(id, { add: ['x'], remove: ['X'] });
    expect(both.status).toBe(422);
    expect(both.body.error.message).toContain('both added and removed');
    for (const bad of ['', 'two words', '-lead', 'é', 'a'.repeat(65), 'a/b']) expect((await label(id, { add: [bad] })).status, bad).toBe(422);
    expect((await label(id, { add: 'x' })).status).toBe(422);
    expect((await label(id, { tags: ['x'] })).status).toBe(422);
    expect((await call(`/v1/agents/${mail.bot}/messages/${id}`)).body.labels).toEqual([]);
  });

  it('answers held, rejected and blocked mail as a message that does not exist, to every key', async () => {
    const unknown = await label('msg_01jnothingatall000000000000', { add: ['x'] }, mail.keys.agent);
    expect(unknown.status).toBe(404);
    for (const hidden of HIDDEN_CASES) {
      for (const key of [mail.keys.agent, mail.keys.account]) {
        const res = await label(mail.ids[hidden], { add: ['x'] }, key);
        expect(res.status, hidden).toBe(404);
        expect(res.body.error.message).toBe(`message ${mail.ids[hidden]} not found`);
      }
    }
    const rows = await gw.gateway.database.db.selectFrom('message_labels').select('message_id').where('message_id', 'in', Object.values(mail.ids)).execute();
    expect(rows).toEqual([]);
  });

  it("keeps every agent's labels to itself: other accounts and other agents get the unknown agent's 404", async () => {
    // Another account's agent sees its own labels, none of bot's.
    expect((await call(`/v1/agents/${mail.stranger}/labels`, { key: mail.keys.otherAgent })).body.items.filter((l: Json) => !l.system)).toEqual([]);

    const nobody = await call(`/v1/agents/nobody@${TEST_DOMAIN}/labels`, { key: mail.keys.otherAccount });
    for (const key of [mail.keys.otherAccount, mail.keys.otherAgent, peerKey]) {
      const attempts = [
        await call(`/v1/agents/${mail.bot}/labels`, { key }),
        await call(`/v1/agents/${mail.bot}/labels/invoices`, { method: 'DELETE', key }),
        await label(ids['invoice march']!, { add: ['intruder'] }, key),
        await call(`/v1/agents/${mail.bot}/messages?label=invoices`, { key }),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(404);
        expect(res.body.error.message).toBe(`agent ${mail.bot} not found`);
      }
    }
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.message).toBe(`agent nobody@${TEST_DOMAIN} not found`);
    // The peer's labels are its own: same name, separate label.
    expect((await call(`/v1/agents/${peer}/labels`, { key: peerKey })).body.items.filter((l: Json) => !l.system)).toEqual([]);
    expect((await call(`/v1/agents/${mail.bot}/messages/${ids['invoice march']}`)).body.labels).not.toContain('intruder');
  });

  it('labels conversations on their own, and lists them by label', async () => {
    const march = (await call(`/v1/agents/${mail.bot}/messages/${ids['invoice march']}`)).body;
    const conv = march.conversation_id as string;
    const changed = await call(`/v1/agents/${mail.bot}/conversations/${conv}/labels`, { method: 'POST', body: { add: ['Finance'] }, key: mail.keys.agent });
    expect(changed).toEqual({ status: 200, body: { labels: ['unread', 'Finance'] } });
    // A conversation's labels are its own, not its messages'.
    expect((await call(`/v1/agents/${mail.bot}/messages/${march.id}`)).body.labels).not.toContain('Finance');
    const page = await call(`/v1/agents/${mail.bot}/conversations?label=finance`);
    expect(page.body.items.map((c: Json) => c.id)).toEqual([conv]);
    expect(page.body.items[0].labels).toEqual(['unread', 'Finance']);
    expect((await call(`/v1/agents/${mail.bot}/conversations?label=finance&label=sent`)).body.items).toEqual([]);
    const sentConv = (await call(`/v1/agents/${mail.bot}/messages/${sentId}`)).body.conversation_id;
    expect((await call(`/v1/agents/${mail.bot}/conversations?label=sent`)).body.items.map((c: Json) => c.id)).toEqual([sentConv]);
    expect((await call(`/v1/agents/${mail.bot}/conversations/${conv}`)).body.labels).toEqual(['unread', 'Finance']);
    expect((await call(`/v1/agents/${mail.bot}/conversations/conv_01jnothing000000000000000/labels`, { method: 'POST', body: { add: ['x'] } })).status).toBe(404);
    expect((await call(`/v1/agents/${mail.bot}/conversations/${conv}/labels`, { method: 'POST', body: { add: ['x'] }, key: mail.keys.otherAccount })).status).toBe(404);
  });

  it('counts what each label has, system labels first, held nowhere', async () => {
    const { status, body } = await call(`/v1/agents/${mail.bot}/labels`, { key: mail.keys.agent });
    expect(status).toBe(200);
    const byName = Object.fromEntries((body.items as Json[]).map((l) => [l.name, l]));
    expect((body.items as Json[]).map((l) => l.name)).toEqual(['unread', 'sent', 'trash', 'Finance', 'Invoices', 'todo', 'urgent-ish']);
    expect(byName.sent).toEqual({ name: 'sent', system: true, messages: 1, unread_messages: 0, conversations: 1, created_at: null });
    expect(byName.trash).toMatchObject({ messages: 0, conversations: 0 });
    // control, invoice march, invoice april (lunch was read).
    expect(byName.unread).toMatchObject({ messages: 3, unread_messages: 3 });
    expect(byName.Invoices).toMatchObject({ system: false, messages: 2, unread_messages: 2, conversations: 0 });
    expect(byName.Finance).toMatchObject({ messages: 0, conversations: 1 });
    expect(byName.todo).toMatchObject({ messages: 0, unread_messages: 0, conversations: 0 });
    expect(Date.parse(byName.Invoices.created_at)).not.toBeNaN();
  });

  it('writes email.labels_changed on the agent feed and conversation.labels_changed on the account feed only', async () => {
    const agentFeed = (await call('/v1/events?type=email.labels_changed&limit=200', { key: mail.keys.agent })).body.items as Json[];
    const march = agentFeed.filter((e) => e.data.message_id === ids['invoice march']);
    // add Invoices+todo, then add urgent-ish and remove todo: two changes, two events.
    expect(march).toHaveLength(2);
    const [latest] = march;
    expect(latest!.data).toMatchObject({ agent_address: mail.bot, direction: 'inbound', subject: 'invoice march', labels: ['unread', 'Invoices', 'urgent-ish'], labels_added: ['urgent-ish'], labels_removed: ['todo'] });
    // A change that changed nothing wrote nothing.
    expect(agentFeed.filter((e) => e.data.message_id === ids['invoice april'])).toHaveLength(1);
    expect((await call('/v1/events?type=conversation.labels_changed', { key: mail.keys.agent })).body.items).toEqual([]);
    const account = (await call('/v1/events?type=conversation.labels_changed')).body.items as Json[];
    expect(account).toHaveLength(1);
    expect(account[0]!.data).toMatchObject({ agent_address: mail.bot, labels: ['unread', 'Finance'], labels_added: ['Finance'], labels_removed: [] });
    // Nothing of the refused attempts.
    expect(JSON.stringify(agentFeed)).not.toContain('intruder');
  });

  it('caps the labels an agent has at labels.max_per_agent (402), and a deleted label frees its place', async () => {
    // Finance, Invoices, todo and urgent-ish exist (todo on nothing); the cap is 6.
    expect((await label(ids.lunch!, { add: ['six', 'seven'] })).status).toBe(200);
    const over = await label(ids.lunch!, { add: ['eight', 'Invoices'] });
    expect(over.status).toBe(402);
    expect(over.body.error.code).toBe('quota_exceeded');
    expect(over.body.error.message).toContain('labels.max_per_agent');
    // Refused as a whole: Invoices was not added either.
    expect((await call(`/v1/agents/${mail.bot}/messages/${ids.lunch}`)).body.labels).toEqual(['seven', 'six']);
    // An existing label is no new one.
    expect((await label(ids.lunch!, { add: ['INVOICES'] })).status).toBe(200);

    expect((await call(`/v1/agents/${mail.bot}/labels/todo`, { method: 'DELETE' })).status).toBe(204);
    expect((await label(ids.lunch!, { add: ['eight'] })).body.labels).toEqual(['eight', 'Invoices', 'seven', 'six']);
  });

  it('deletes a label from everything it was on, with an event for each', async () => {
    expect((await call(`/v1/agents/${mail.bot}/labels/INVOICES`, { method: 'DELETE', key: mail.keys.agent })).status).toBe(204);
    expect(await listed('label=invoices')).toEqual([]);
    expect((await call(`/v1/agents/${mail.bot}/messages/${ids['invoice march']}`)).body.labels).toEqual(['unread', 'urgent-ish']);
    const events = (await call('/v1/events?type=email.labels_changed&limit=200')).body.items as Json[];
    const removals = events.filter((e) => (e.data.labels_removed as string[]).includes('Invoices'));
    expect(new Set(removals.map((e) => e.data.message_id))).toEqual(new Set([ids['invoice march'], ids['invoice april'], ids.lunch]));

    const again = await call(`/v1/agents/${mail.bot}/labels/invoices`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(again.body.error.message).toBe('label invoices not found');
    const system = await call(`/v1/agents/${mail.bot}/labels/unread`, { method: 'DELETE' });
    expect(system.status).toBe(422);
    expect(system.body.error.message).toContain('unread is a system label and cannot be deleted');
    expect((await call(`/v1/agents/${mail.bot}/labels/a%2Fb`, { method: 'DELETE' })).status).toBe(404);
  });

  it('goes with the message and with the agent that own it', async () => {
    const db = gw.gateway.database.db;
    const agent = await db.selectFrom('agents').select('id').where('address', '=', peer).executeTakeFirstOrThrow();
    for (const n of [1, 2]) await deliver(gw.gateway.smtpPort, 'alice@example.com', [peer], buildMessage({ to: peer, subject: `for the peer ${n}`, messageId: `peer.${n}@example.com` }));
    const messages = (await call(`/v1/agents/${peer}/messages`, { key: peerKey })).body.items as Json[];
    for (const m of messages) {
      expect((await call(`/v1/agents/${peer}/messages/${m.id}/labels`, { method: 'POST', body: { add: ['Invoices'] }, key: peerKey })).body.labels).toEqual(['unread', 'Invoices']);
    }
    const [first, second] = messages.map((m) => m.id as string);
    const links = (id: string) => db.selectFrom('message_labels').select('label_id').where('message_id', '=', id).execute();
    // The schema's cascades (migrations/0018): whoever deletes the rows, nothing is left dangling.
    await db.deleteFrom('messages').where('id', '=', first!).execute();
    expect(await links(first!)).toEqual([]);
    expect(await links(second!)).toHaveLength(1);
    await db.deleteFrom('messages').where('agent_id', '=', agent.id).execute();
    await db.deleteFrom('agents').where('id', '=', agent.id).execute();
    expect(await db.selectFrom('labels').select('id').where('agent_id', '=', agent.id).execute()).toEqual([]);
    expect(await links(second!)).toEqual([]);
  });
});
