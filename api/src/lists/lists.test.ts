/**
 * Lists over real HTTP and real SMTP, on each engine: CRUD and tenancy, the shared namespace with
 * agents, fan-out (one copy and one email.received per member, List-Id on each, no echo, one blob),
 * the post policies, local sends to a list, and a message that carries the list's own List-Id.
 */
import { buildMessage, createFakeResolver, generateDkimKey, signMessage } from '@e2a/relay/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { eraseAgentNow } from '../testing/erase.js';
import { deliver, sendMail } from '../testing/mail.js';
import { until } from '../testing/until.js';

type Json = Record<string, any>;

const dkim = generateDkimKey('example.com', 'sel1');
const zone = {
  'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  [dkim.dnsName]: { TXT: [dkim.txt] },
  '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] },
};
const team = `team@${TEST_DOMAIN}`;
const open = `open@${TEST_DOMAIN}`;
const members = ['ann', 'ben', 'cat'].map((l) => `${l}@${TEST_DOMAIN}`);

describe.each(ENGINES)('lists (%s)', (engine) => {
  let gw: TestGateway;
  let otherKey: string;
  let n = 0;
  const db = () => gw.gateway.database.db;
  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}, status = 200): Promise<Json> => {
    const res = await gw.api(path, { method: init.method ?? 'GET', ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }), ...(init.key ? { key: init.key } : {}) });
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return text ? (JSON.parse(text) as Json) : {};
  };
  const copies = (subject: string) =>
    db().selectFrom('messages as m').innerJoin('agents as a', 'a.id', 'm.agent_id').select(['m.id', 'a.address', 'm.blob_id', 'm.headers', 'm.envelope']).where('m.subject', '=', subject).orderBy('a.address').execute();
  const receivedEvents = (messageIds: string[]) =>
    db().selectFrom('events').select(['type', sql<string>`data->>'message_id'`.as('message_id')]).where('type', '=', 'email.received').where(sql<string>`data->>'message_id'`, 'in', messageIds).execute();
  const post = async (to: string, subject: string, opts: { from?: string; signed?: boolean; headers?: string } = {}) => {
    const from = opts.from ?? 'alice@example.com';
    let raw = buildMessage({ from, to, subject, messageId: `list-${++n}@example.com` });
    if (opts.headers) raw = Buffer.concat([Buffer.from(opts.headers), raw]);
    return sendMail(gw.gateway.smtpPort, from, [to], opts.signed === false ? raw : await signMessage(raw, dkim));
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver(zone) });
    for (const address of members) await call('/v1/agents', { method: 'POST', body: { address } }, 201);
    await call('/v1/lists', { method: 'POST', body: { local_part: 'team', name: 'Team', post_policy: 'members' } }, 201);
    await call('/v1/lists', { method: 'POST', body: { address: open, post_policy: 'anyone_verified' } }, 201);
    for (const agent_address of members) {
      await call(`/v1/lists/${team}/members`, { method: 'POST', body: { agent_address } }, 201);
      await call(`/v1/lists/${open}/members`, { method: 'POST', body: { agent_address } }, 201);
    }
    otherKey = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
  });
  afterAll(() => gw?.close());

  it('creates, reads, lists, updates and deletes a list; members are listed', async () => {
    const list = await call(`/v1/lists/${team}`);
    expect(list).toMatchObject({ address: team, name: 'Team', post_policy: 'members', member_count: 3, list_id: `team.team.${TEST_DOMAIN}` });
    expect((await call('/v1/lists')).items.map((l: Json) => l.address).sort()).toEqual([open, team]);
    expect((await call(`/v1/lists/${team}/members`)).items.map((m: Json) => m.agent_address).sort()).toEqual(members);
    const temp = await call('/v1/lists', { method: 'POST', body: { local_part: 'temp', post_policy: 'members' } }, 201);
    expect(temp.name).toBe('temp');
    expect((await call(`/v1/lists/${temp.address}`, { method: 'PATCH', body: { description: 'x', post_policy: 'anyone_verified' } })).post_policy).toBe('anyone_verified');
    await call(`/v1/lists/${temp.address}`, { method: 'DELETE' }, 204);
    await call(`/v1/lists/${temp.address}`, {}, 404);
  });

  it('shares one namespace with agents: a list where an agent is, or an agent where a list is, is 409', async () => {
    expect((await call('/v1/lists', { method: 'POST', body: { address: members[0], post_policy: 'members' } }, 409)).error.code).toBe('conflict');
    expect((await call('/v1/agents', { method: 'POST', body: { address: team } }, 409)).error.code).toBe('conflict');
    await call('/v1/lists', { method: 'POST', body: { local_part: 'postmaster', post_policy: 'members' } }, 409);
    // A list is not an agent: it cannot be a member, so lists never contain lists.
    await call(`/v1/lists/${team}/members`, { method: 'POST', body: { agent_address: open } }, 422);
  });

  it("hides a list from another account: the same 404 as an unknown one, for reads and changes", async () => {
    const unknown = await call(`/v1/lists/nope@${TEST_DOMAIN}`, { key: otherKey }, 404);
    const foreign = await call(`/v1/lists/${team}`, { key: otherKey }, 404);
    expect(foreign.error.message.replace(team, 'X')).toBe(unknown.error.message.replace(`nope@${TEST_DOMAIN}`, 'X'));
    await call(`/v1/lists/${team}`, { method: 'PATCH', key: otherKey, body: { name: 'mine' } }, 404);
    await call(`/v1/lists/${team}`, { method: 'DELETE', key: otherKey }, 404);
    await call(`/v1/lists/${team}/members`, { key: otherKey }, 404);
    expect((await call('/v1/lists', { key: otherKey })).items).toEqual([]);
    // Another tenant's agent cannot join.
    await call('/v1/agents', { method: 'POST', key: otherKey, body: { local_part: 'stranger' } }, 201);
    await call(`/v1/lists/${team}/members`, { method: 'POST', body: { agent_address: `stranger@${TEST_DOMAIN}` } }, 404);
  });

  it('fans one SMTP message out: one copy and one email.received per member, List-Id on each, one shared blob', async () => {
    const result = await post(open, 'fan out');
    expect(result.data?.code).toBe(250);
    const stored = await copies('fan out');
    expect(stored.map((c) => c.address)).toEqual(members);
    expect(new Set(stored.map((c) => c.blob_id)).size).toBe(1);
    expect(await db().selectFrom('message_blobs').select('id').where('id', '=', stored[0]!.blob_id).execute()).toHaveLength(1);
    for (const copy of stored) {
      const headers = copy.headers as Array<{ name: string; value: string }>;
      expect(headers).toEqual(expect.arrayContaining([
        { name: 'List-Id', value: `open <open.open.${TEST_DOMAIN}>` },
        { name: 'List-Post', value: `<mailto:${open}>` },
        { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      ]));
      expect(headers.find((h) => h.name === 'List-Unsubscribe')!.value).toContain(encodeURIComponent(copy.address));
      expect(copy.envelope).toMatchObject({ rcpt_to: open });
    }
    const events = await receivedEvents(stored.map((c) => c.id));
    expect(events.map((e) => e.message_id).sort()).toEqual(stored.map((c) => c.id).sort());
    // The message as stored carries the list's List-Id, so it is recognised if it comes back.
    const msg = await call(`/v1/agents/${members[0]}/messages/${stored[0]!.id}`);
    expect(msg.headers).toEqual(expect.arrayContaining([{ name: 'List-Id', value: `open <open.open.${TEST_DOMAIN}>` }]));
  });

  it('anyone_verified refuses a sender whose DMARC fails with 550 5.7.1, storing nothing', async () => {
    const result = await post(open, 'unverified', { signed: false, from: 'mallory@unauthenticated.example' });
    expect(result.data).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(result.data!.text ?? '').toContain(open);
    expect(await copies('unverified')).toEqual([]);
  });

  it('members refuses a verified non-member with 550 5.7.1', async () => {
    const result = await post(team, 'outsider');
    expect(result.data).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(await copies('outsider')).toEqual([]);
  });

  it('drops mail that already carries the list\'s own List-Id: 250, no copies', async () => {
    const result = await post(open, 'looped', { headers: `List-Id: open <open.open.${TEST_DOMAIN}>\r\n` });
    expect(result.data?.code).toBe(250);
    expect(await copies('looped')).toEqual([]);
  });

  it('delivers a member agent\'s send to the list to the other members, not back to the poster', async () => {
    const res = await gw.api(`/v1/agents/${members[0]}/messages`, { method: 'POST', body: JSON.stringify({ to: [team], subject: 'from ann', text: 'hello team' }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const sent = await until('the send finishes', async () => {
      const r = await db().selectFrom('messages').select(['status', 'delivery']).where('id', '=', id).executeTakeFirstOrThrow();
      return ['sent', 'failed'].includes(r.status) && r;
    });
    expect(sent.status).toBe('sent');
    const stored = (await copies('from ann')).filter((c) => c.id !== id);
    expect(stored.map((c) => c.address)).toEqual(members.slice(1));
    expect(await receivedEvents(stored.map((c) => c.id))).toHaveLength(2);
  });

  it("fails a local send from a non-member to a members-only list, with the reason", async () => {
    await call('/v1/agents', { method: 'POST', body: { local_part: 'loner' } }, 201);
    const res = await gw.api(`/v1/agents/loner@${TEST_DOMAIN}/messages`, { method: 'POST', body: JSON.stringify({ to: [team], subject: 'from loner', text: 'hi' }) });
    const { id } = (await res.json()) as { id: string };
    const done = await until('the send finishes', async () => {
      const r = await db().selectFrom('messages').select(['status', 'status_reason']).where('id', '=', id).executeTakeFirstOrThrow();
      return ['sent', 'failed'].includes(r.status) && r;
    });
    expect(done.status).toBe('failed');
    expect(done.status_reason).toContain('only members');
    expect((await copies('from loner')).filter((c) => c.id !== id)).toEqual([]);
  });

  it("contacts: a member's contact may post, an agent with no grant may not", async () => {
    const circle = `circle@${TEST_DOMAIN}`;
    await call('/v1/lists', { method: 'POST', body: { address: circle, post_policy: 'contacts' } }, 201);
    for (const agent_address of members) await call(`/v1/lists/${circle}/members`, { method: 'POST', body: { agent_address } }, 201);
    const friend = `friend@${TEST_DOMAIN}`;
    const stranger = `stranger-c@${TEST_DOMAIN}`;
    for (const address of [friend, stranger]) await call('/v1/agents', { method: 'POST', body: { address } }, 201);
    // Friend and cat become contacts (cat's account approves: the same account here, no code needed).
    const asked = await call(`/v1/agents/${friend}/contacts`, { method: 'POST', body: { address: members[2] } }, 202);
    await call(`/v1/agents/${members[2]}/contacts/${asked.id}/approve`, { method: 'POST', body: {} });

    const send = async (from: string, subject: string) => {
      const res = await gw.api(`/v1/agents/${from}/messages`, { method: 'POST', body: JSON.stringify({ to: [circle], subject, text: 'hi' }) });
      const { id } = (await res.json()) as { id: string };
      return until('the send finishes', async () => {
        const r = await db().selectFrom('messages').select(['id', 'status', 'status_reason']).where('id', '=', id).executeTakeFirstOrThrow();
        return ['sent', 'failed'].includes(r.status) && r;
      });
    };
    const fromFriend = await send(friend, 'from a contact of cat');
    expect(fromFriend.status).toBe('sent');
    expect((await copies('from a contact of cat')).filter((c) => c.id !== fromFriend.id).map((c) => c.address)).toEqual(members);
    const fromStranger = await send(stranger, 'from nobody we know');
    expect(fromStranger.status).toBe('failed');
    expect(fromStranger.status_reason).toContain('and their contacts');
    expect((await copies('from nobody we know')).filter((c) => c.id !== fromStranger.id)).toEqual([]);
  });

  it('removes a member, and deleting an agent removes its memberships', async () => {
    await call(`/v1/lists/${open}/members/${members[2]}`, { method: 'DELETE' }, 204);
    expect((await call(`/v1/lists/${open}`)).member_count).toBe(2);
    await eraseAgentNow(gw, members[1]!);
    expect((await call(`/v1/lists/${open}/members`)).items.map((m: Json) => m.agent_address)).toEqual([members[0]]);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [open], await signMessage(buildMessage({ from: 'alice@example.com', to: open, subject: 'after', messageId: 'after@example.com' }), dkim));
    expect((await copies('after')).map((c) => c.address)).toEqual([members[0]]);
  });
});
