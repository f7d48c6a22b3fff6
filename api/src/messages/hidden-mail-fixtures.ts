/**
 * Test fixture: one agent's mail in every state its mailbox must not show, made through the real
 * paths (inbound over SMTP through the inbound gate, outbound through the send API and its gate,
 * decisions through the reviews API), a delivered control message beside them, and a second tenant
 * with an agent of its own.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestGateway } from '../testing/gateway.js';
import { TEST_DOMAIN } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

export const HIDDEN_CASES = ['held inbound', 'rejected inbound', 'blocked inbound', 'held outbound', 'rejected outbound', 'blocked outbound'] as const;
export type HiddenCase = (typeof HIDDEN_CASES)[number];

export interface HiddenMail {
  bot: string;
  /** The other tenant's agent. */
  stranger: string;
  keys: { agent: string; account: string; otherAccount: string; otherAgent: string };
  /** Message ids. */
  ids: Record<HiddenCase | 'control', string>;
  /** A word in each message's subject, body and attachment, to look for wherever mail could leak. */
  marks: Record<HiddenCase | 'control', string>;
}

export const ATTACHMENT_TEXT = 'attached notes';

const mark = (what: string) => `${what.replace(' ', '-')}-${randomBytes(4).toString('hex')}`;

/** A multipart message with one text attachment: the attachment route has something to serve. */
export function mimeWithAttachment(opts: { to: string; subject: string; body: string; messageId: string }): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@example.com>',
      `To: ${opts.to}`,
      `Subject: ${opts.subject}`,
      'Date: Mon, 2 Jun 2025 10:00:00 +0000',
      `Message-ID: <${opts.messageId}>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      opts.body,
      '--b1',
      'Content-Type: text/plain; name="notes.txt"',
      'Content-Disposition: attachment; filename="notes.txt"',
      '',
      `${ATTACHMENT_TEXT} ${opts.subject}`,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

export async function makeHiddenMail(gw: TestGateway): Promise<HiddenMail> {
  const bot = `bot@${TEST_DOMAIN}`;
  const stranger = `stranger@${TEST_DOMAIN}`;
  const db = gw.gateway.database.db;
  const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
  const agentKey = async (address: string, key: string) => ((await (await post('/v1/account/api-keys', { scope: 'agent', agent_address: address }, key)).json()) as { key: string }).key;
  const protect = async (body: unknown) => expect((await gw.api(`/v1/agents/${bot}/protection`, { method: 'PUT', body: JSON.stringify(body) })).status).toBe(200);
  const idOf = async (subject: string) => (await db.selectFrom('messages').select('id').where('subject', '=', subject).executeTakeFirstOrThrow()).id;
  const reviewOf = async (messageId: string) => (await db.selectFrom('reviews').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow()).id;
  const reject = async (messageId: string) => expect((await post(`/v1/reviews/${await reviewOf(messageId)}/reject`, { reason: 'not for the agent' })).status).toBe(200);

  expect((await post('/v1/agents', { local_part: 'bot' })).status).toBe(201);
  const otherAccount = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
  expect((await post('/v1/agents', { local_part: 'stranger' }, otherAccount)).status).toBe(201);
  const keys = { agent: await agentKey(bot, gw.apiKey), account: gw.apiKey, otherAccount, otherAgent: await agentKey(stranger, otherAccount) };

  const marks = Object.fromEntries([...HIDDEN_CASES, 'control'].map((c) => [c, mark(c)])) as HiddenMail['marks'];
  const ids = {} as HiddenMail['ids'];
  const receive = async (c: HiddenCase | 'control') => {
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], mimeWithAttachment({ to: bot, subject: marks[c], body: `body ${marks[c]}`, messageId: `${marks[c]}@example.com` }));
    ids[c] = await idOf(marks[c]);
  };
  const send = async (c: HiddenCase) => {
    const res = await post(`/v1/agents/${bot}/messages`, {
      to: ['partner@example.net'],
      subject: marks[c],
      text: `body ${marks[c]}`,
      attachments: [{ filename: 'notes.txt', content_type: 'text/plain', content: Buffer.from(`${ATTACHMENT_TEXT} ${marks[c]}`).toString('base64') }],
    }, keys.agent);
    ids[c] = await idOf(marks[c]);
    return res;
  };

  await receive('control');
  await protect({ inbound: { policy: 'allowlist', allowlist: [], action: 'review' } });
  await receive('held inbound');
  await receive('rejected inbound');
  await reject(ids['rejected inbound']);
  await protect({ inbound: { policy: 'allowlist', allowlist: [], action: 'block' } });
  await receive('blocked inbound');

  await protect({ outbound: { policy: 'allowlist', allowlist: [], action: 'review' } });
  const held = await send('held outbound');
  expect(held.status).toBe(202);
  expect(await held.json()).toMatchObject({ id: ids['held outbound'], status: 'pending_review' });
  expect((await send('rejected outbound')).status).toBe(202);
  await reject(ids['rejected outbound']);
  await protect({ outbound: { policy: 'allowlist', allowlist: [], action: 'block' } });
  expect((await send('blocked outbound')).status).toBe(403);
  await protect({});

  const states = await db.selectFrom('messages').select(['id', 'direction', 'status', 'held']).where('id', 'in', Object.values(ids)).execute();
  const state = (id: string) => states.find((s) => s.id === id);
  expect(state(ids.control)).toMatchObject({ direction: 'inbound', status: 'received', held: false });
  expect(state(ids['held inbound'])).toMatchObject({ status: 'held', held: true });
  expect(state(ids['rejected inbound'])).toMatchObject({ status: 'rejected', held: true });
  expect(state(ids['blocked inbound'])).toMatchObject({ status: 'blocked', held: true });
  expect(state(ids['held outbound'])).toMatchObject({ direction: 'outbound', status: 'held' });
  expect(state(ids['rejected outbound'])).toMatchObject({ direction: 'outbound', status: 'rejected' });
  expect(state(ids['blocked outbound'])).toMatchObject({ direction: 'outbound', status: 'blocked' });
  return { bot, stranger, keys, ids, marks };
}
