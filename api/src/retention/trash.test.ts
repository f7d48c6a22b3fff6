import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_TEXT, mimeWithAttachment } from '../messages/hidden-mail-fixtures.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;
const peer = `peer@${TEST_DOMAIN}`;
const TRASH_DAYS = 7;
const DAY = 86_400_000;

describe.each(ENGINES)('the trash: delete, restore, purge (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  let keys: { bot: string; peer: string; otherAccount: string };
  let n = 0;
  const db = () => gw.gateway.database.db;

  /** Delivers a message to `to` and returns each recipient's copy id, in the order of `to`. */
  const receive = async (to: string[], opts: { attachment?: boolean; conversation?: string } = {}) => {
    const subject = `trash test ${++n}`;
    const messageId = `trash-${n}@example.com`;
    const raw = opts.attachment
      ? mimeWithAttachment({ to: to.join(', '), subject, body: `body of ${subject}`, messageId })
      : buildMessage({ to, subject, messageId, ...(opts.conversation ? { headers: [`In-Reply-To: <${opts.conversation}>`, `References: <${opts.conversation}>`] } : {}) });
    await deliver(gw.gateway.smtpPort, 'alice@example.com', to, raw);
    const rows = await db().selectFrom('messages as m').innerJoin('agents as a', 'a.id', 'm.agent_id').select(['m.id', 'a.address', 'm.blob_id', 'm.conversation_id']).where('m.subject', '=', subject).execute();
    return { subject, messageId, copies: to.map((address) => rows.find((r) => r.address === address)!) };
  };
  const listed = async (agent: string, query = '', key?: string) =>
    ((await (await gw.api(`/v1/agents/${agent}/messages${query}`, key ? { key } : {})).json()) as { items: Array<{ id: string; deleted_at: string | null }> }).items.map((m) => m.id);
  const del = (agent: string, id: string, key?: string) => gw.api(`/v1/agents/${agent}/messages/${id}`, { method: 'DELETE', ...(key ? { key } : {}) });
  const restore = (agent: string, id: string, key?: string) => gw.api(`/v1/agents/${agent}/messages/${id}/restore`, { method: 'POST', ...(key ? { key } : {}) });
  const deletionEvents = async (messageId: string) =>
    (await db().selectFrom('events').select(['data', 'agent_id']).where('type', '=', 'email.deleted').where(sql<string>`data->>'message_id'`, '=', messageId).orderBy('seq').execute()).map((e) => {
      const data = e.data as { deletion: string; deleted_by?: string; restorable_until?: string };
      return { deletion: data.deletion, by: data.deleted_by ?? null, restorable: data.restorable_until ?? null, toAgent: e.agent_id !== null };
    });
  /** The message's email.restored events: their ids, and whether the agent's own feeds carry them. */
  const restoredEvents = async (messageId: string) =>
    (await db().selectFrom('events').select(['id', 'agent_id']).where('type', '=', 'email.restored').where(sql<string>`data->>'message_id'`, '=', messageId).orderBy('seq').execute()).map((e) => ({
      id: e.id,
      toAgent: e.agent_id !== null,
    }));
  /** The email.restored events about `messageId` that `key` reads from GET /v1/events. */
  const restoredFeed = async (messageId: string, key: string) =>
    ((await (await gw.api('/v1/events?type=email.restored&limit=200', { key })).json()) as { items: Array<{ id: string; type: string; data: { message_id: string; agent_address: string } }> }).items.filter(
      (e) => e.data.message_id === messageId,
    );
  const blobState = async (blobId: string) => ({
    blob: (await db().selectFrom('message_blobs').select('id').where('id', '=', blobId).execute()).length,
    attachments: (await db().selectFrom('attachments').select('idx').where('blob_id', '=', blobId).execute()).length,
  });

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      clock,
      // The tests sweep on demand; the background sweep must not run in between.
      env: { E2A_RETENTION_TRASH_DAYS: String(TRASH_DAYS), E2A_RETENTION_POLL_INTERVAL_MS: '3600000' },
    });
    const post = async (path: string, body: unknown, key?: string) => {
      const res = await gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return (await res.json()) as Record<string, unknown>;
    };
    await post('/v1/agents', { local_part: 'bot' });
    await post('/v1/agents', { local_part: 'peer' });
    const otherAccount = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
    keys = {
      bot: (await post('/v1/account/api-keys', { scope: 'agent', agent_address: bot })).key as string,
      peer: (await post('/v1/account/api-keys', { scope: 'agent', agent_address: peer })).key as string,
      otherAccount,
    };
  });
  afterAll(() => gw?.close());

  it('DELETE moves a message out of the mailbox into the trash, and restore brings it back', async () => {
    const first = await receive([bot]);
    const reply = await receive([bot], { conversation: first.messageId });
    const id = reply.copies[0]!.id;
    const conversation = reply.copies[0]!.conversation_id;
    expect(conversation).toBe(first.copies[0]!.conversation_id);
    const count = async () => ((await (await gw.api(`/v1/agents/${bot}/conversations/${conversation}`, { key: keys.bot })).json()) as { message_count: number }).message_count;
    expect(await count()).toBe(2);

    expect((await del(bot, id, keys.bot)).status).toBe(204);
    expect(await listed(bot, '', keys.bot)).not.toContain(id);
    expect(await listed(bot, '?in=trash', keys.bot)).toEqual([id]);
    expect(await count()).toBe(1);
    // A read by id still finds it, and says it is in the trash; a reply to it does not.
    const read = (await (await gw.api(`/v1/agents/${bot}/messages/${id}`, { key: keys.bot })).json()) as { deleted_at: string | null };
    expect(read.deleted_at).not.toBeNull();
    expect((await gw.api(`/v1/agents/${bot}/messages/${id}/raw`, { key: keys.bot })).status).toBe(200);
    const replied = await gw.api(`/v1/agents/${bot}/messages/${id}/reply`, { method: 'POST', key: keys.bot, body: JSON.stringify({ text: 'x' }) });
    expect(replied.status).toBe(404);
    // Deleting again changes nothing and tells nothing new.
    expect((await del(bot, id, keys.bot)).status).toBe(204);
    expect(await deletionEvents(id)).toEqual([
      { deletion: 'trashed', by: 'api', restorable: new Date(new Date(read.deleted_at!).getTime() + TRASH_DAYS * DAY).toISOString(), toAgent: true },
    ]);

    const restored = await restore(bot, id, keys.bot);
    expect(restored.status).toBe(200);
    expect(((await restored.json()) as { id: string; deleted_at: string | null })).toMatchObject({ id, deleted_at: null });
    expect(await listed(bot, '', keys.bot)).toContain(id);
    expect(await listed(bot, '?in=trash', keys.bot)).toEqual([]);
    expect(await count()).toBe(2);
    // One email.restored, in the agent's own feed as its email.deleted was; not in another agent's.
    const [told] = await restoredEvents(id);
    expect(await restoredEvents(id)).toEqual([{ id: expect.stringMatching(/^evt_/), toAgent: true }]);
    expect(await restoredFeed(id, keys.bot)).toMatchObject([{ id: told!.id, type: 'email.restored', data: { message_id: id, agent_address: bot } }]);
    expect(await restoredFeed(id, keys.peer)).toEqual([]);
    // Restoring what is not in the trash answers the message as it is, and tells nothing new.
    expect((await restore(bot, id, keys.bot)).status).toBe(200);
    expect(await restoredEvents(id)).toEqual([told]);

    // Trashed and restored again: a second stay in the trash, a second event.
    clock.advance(1000);
    expect((await del(bot, id, keys.bot)).status).toBe(204);
    expect((await restore(bot, id, keys.bot)).status).toBe(200);
    const both = await restoredEvents(id);
    expect(both).toHaveLength(2);
    expect(both[0]).toEqual(told);
    expect(both[1]!.id).not.toBe(told!.id);
  });

  it("another agent's or account's message answers 404 to delete and restore, and is left as it was", async () => {
    const { copies } = await receive([bot]);
    const id = copies[0]!.id;
    const refused = [
      await del(bot, id, keys.peer),
      await del(peer, id),
      await del(peer, id, keys.peer),
      await del(bot, id, keys.otherAccount),
      await restore(bot, id, keys.peer),
      await restore(peer, id),
      await restore(bot, id, keys.otherAccount),
    ];
    expect(refused.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404, 404]);
    expect(await listed(bot, '', keys.bot)).toContain(id);

    // Trashed, it is still only its own agent's to restore.
    expect((await del(bot, id)).status).toBe(204);
    expect((await restore(peer, id)).status).toBe(404);
    expect((await restore(bot, id, keys.otherAccount)).status).toBe(404);
    expect(await listed(bot, '?in=trash', keys.bot)).toContain(id);
    expect(await listed(peer, '?in=trash', keys.peer)).not.toContain(id);
    expect((await restore(bot, id)).status).toBe(200);
  });

  it('refuses to trash mail still queued for sending', async () => {
    const { copies } = await receive([bot]);
    // A message the outbound worker has yet to send: the send must not lose it.
    await db().updateTable('messages').set({ status: 'queued', direction: 'outbound' }).where('id', '=', copies[0]!.id).execute();
    const res = await del(bot, copies[0]!.id, keys.bot);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('queued');
    await db().updateTable('messages').set({ status: 'sent' }).where('id', '=', copies[0]!.id).execute();
    expect((await del(bot, copies[0]!.id, keys.bot)).status).toBe(204);
    expect((await restore(bot, copies[0]!.id, keys.bot)).status).toBe(200);
  });

  it('restores only within retention.trash_days; then the purge erases it', async () => {
    const { copies } = await receive([bot], { attachment: true });
    const { id, blob_id: blobId } = copies[0]!;
    expect((await del(bot, id, keys.bot)).status).toBe(204);
    clock.advance(TRASH_DAYS * DAY - 60_000);
    expect((await gw.gateway.retention.sweepOnce()).purged).toBe(0);
    expect((await restore(bot, id, keys.bot)).status).toBe(200);

    expect((await del(bot, id, keys.bot)).status).toBe(204);
    clock.advance(TRASH_DAYS * DAY + 60_000);
    const late = await restore(bot, id, keys.bot);
    expect(late.status).toBe(410);
    // The restore that came in time told once; the one too late, nothing.
    expect(await restoredEvents(id)).toHaveLength(1);
    expect(((await late.json()) as { error: { message: string } }).error.message).toContain('could be restored until');

    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 0, purged: 1 });
    expect((await gw.api(`/v1/agents/${bot}/messages/${id}`, { key: keys.bot })).status).toBe(404);
    expect((await restore(bot, id, keys.bot)).status).toBe(404);
    expect(await db().selectFrom('messages').select('id').where('id', '=', id).execute()).toEqual([]);
    expect(await blobState(blobId)).toEqual({ blob: 0, attachments: 0 });
    expect((await deletionEvents(id)).map((e) => e.deletion)).toEqual(['trashed', 'trashed', 'purged']);
  });

  it("purges a copy's bytes only with the last copy that shares them", async () => {
    const { copies } = await receive([bot, peer], { attachment: true });
    const [mine, theirs] = copies as [(typeof copies)[0], (typeof copies)[0]];
    expect(mine.blob_id).toBe(theirs.blob_id);
    expect(await blobState(mine.blob_id)).toEqual({ blob: 1, attachments: 1 });

    expect((await del(bot, mine.id, keys.bot)).status).toBe(204);
    clock.advance(TRASH_DAYS * DAY + 60_000);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 0, purged: 1 });
    expect(await db().selectFrom('messages').select('id').where('id', '=', mine.id).execute()).toEqual([]);
    // The other recipient's copy is whole: its bytes, its text, its attachment.
    expect(await blobState(theirs.blob_id)).toEqual({ blob: 1, attachments: 1 });
    const raw = await gw.api(`/v1/agents/${peer}/messages/${theirs.id}/raw`, { key: keys.peer });
    expect(raw.status).toBe(200);
    expect(await raw.text()).toContain('body of trash test');
    const attachment = await gw.api(`/v1/agents/${peer}/messages/${theirs.id}/attachments/0`, { key: keys.peer });
    expect(await attachment.text()).toContain(ATTACHMENT_TEXT);

    expect((await del(peer, theirs.id, keys.peer)).status).toBe(204);
    clock.advance(TRASH_DAYS * DAY + 60_000);
    expect(await gw.gateway.retention.sweepOnce()).toEqual({ trashed: 0, purged: 1 });
    expect(await blobState(theirs.blob_id)).toEqual({ blob: 0, attachments: 0 });
    expect((await deletionEvents(theirs.id)).map((e) => [e.deletion, e.toAgent])).toEqual([
      ['trashed', true],
      ['purged', true],
    ]);
    // A conversation left with no message goes with it: its subject is not kept either.
    expect(await db().selectFrom('conversations').select('id').where('id', '=', theirs.conversation_id).execute()).toEqual([]);
  });
});
