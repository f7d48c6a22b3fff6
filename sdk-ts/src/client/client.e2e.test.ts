/**
 * The SDK against a real gateway process: every resource method over HTTP, typed errors,
 * constructEvent on the server's real webhooks, and every request the SDK made checked against the
 * served OpenAPI document. listen() has its own file, listen.e2e.test.ts.
 */
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../../../api/src/testing/webhook-receiver.js';
import { AuthenticationError, E2A, NotFoundError, PermissionError, ValidationError, constructEvent, verifyAuthClaims, type Event } from '../index.js';
import { startLiveServer, type LiveServer } from '../testing/live-server.js';

const bot = 'bot@agents.test';

let server: LiveServer;
let e2a: E2A;
const calls: Array<{ method: string; path: string }> = [];
const recordingFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  calls.push({ method: (init?.method ?? 'GET').toLowerCase(), path: url.pathname });
  return fetch(input, init);
};

async function mail(subject: string, messageId: string, to = bot): Promise<void> {
  const client = await SmtpTestClient.connect(server.smtpPort);
  await client.ehlo();
  const result = await client.send('alice@example.com', [to], buildMessage({ to, subject, messageId }));
  await client.quit();
  if (result.data?.code !== 250) throw new Error(`SMTP refused: ${JSON.stringify(result)}`);
}

beforeAll(async () => {
  server = await startLiveServer();
  e2a = new E2A({ apiKey: server.apiKey, baseUrl: server.baseUrl, fetch: recordingFetch, agent: bot });
  await e2a.agents.create({ local_part: 'bot' });
});
afterAll(() => server?.stop());

describe('SDK resources against a live gateway', () => {
  it('info, agents and API keys', async () => {
    const info = await e2a.info();
    expect(info).toMatchObject({ name: 'e2a', shared_domain: 'agents.test', auth: { scope: 'account' } });
    const helper = await e2a.agents.create({ local_part: 'helper', display_name: 'Helper' });
    expect(helper.address).toBe('helper@agents.test');
    expect((await e2a.agents.get('helper@agents.test')).display_name).toBe('Helper');
    const all: string[] = [];
    for await (const a of e2a.agents.iterate({ limit: 1 })) all.push(a.address);
    expect(all.sort()).toEqual([bot, 'helper@agents.test']);
    // Deleting is confirmed and has a grace period (docs/DATA.md): gone at once, restorable until erased.
    const erasure = await e2a.agents.delete('helper@agents.test', { confirm: 'helper@agents.test' });
    expect(erasure).toMatchObject({ scope: 'agent', target: 'helper@agents.test', status: 'scheduled' });
    await expect(e2a.agents.get('helper@agents.test')).rejects.toMatchObject({ code: 'gone', status: 410 });
    expect((await e2a.account.cancelErasure(erasure.id)).status).toBe('cancelled');
    expect((await e2a.agents.get('helper@agents.test')).address).toBe('helper@agents.test');
    await expect(e2a.agents.delete('helper@agents.test', { confirm: 'someone-else@agents.test' })).rejects.toBeInstanceOf(ValidationError);

    const key = await e2a.apiKeys.create({ name: 'bot only', scope: 'agent', agent_address: bot });
    expect(key.key).toMatch(/^e2a_/);
    const scoped = new E2A({ apiKey: key.key, baseUrl: server.baseUrl, fetch: recordingFetch });
    await expect(scoped.apiKeys.list()).rejects.toBeInstanceOf(PermissionError);
    expect((await e2a.apiKeys.list()).items.map((k) => k.id)).toContain(key.id);
    await e2a.apiKeys.revoke(key.id);
    await expect(scoped.info().then((i) => i.auth)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(e2a.agents.create({ local_part: 'bad name!' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('messages, conversations and read state', async () => {
    await mail('sdk one', 'sdk-1@example.com');
    await mail('sdk two', 'sdk-2@example.com');
    const page = await e2a.messages.list(bot, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.next_cursor).not.toBeNull();
    const subjects: string[] = [];
    for await (const m of e2a.messages.iterate(bot, { limit: 1, subject_contains: 'sdk' })) subjects.push(m.subject ?? '');
    expect(subjects).toEqual(['sdk two', 'sdk one']);

    const message = await e2a.messages.get(bot, page.items[0]!.id);
    expect(message.text).toContain('please reply');
    const raw = new TextDecoder().decode(await e2a.messages.raw(bot, message.id));
    const split = raw.indexOf('X-E2A-Auth-Signature:');
    const bodyStart = raw.indexOf('\r\n', split) + 2;
    // Claims are signed with the account's own key, which the SDK reads (an agent key could too).
    const claimsKey = await e2a.account.claimsKey();
    expect(claimsKey.verification_keys).toEqual([claimsKey.key]);
    await expect(verifyAuthClaims(message.auth_claims!, claimsKey.verification_keys, { body: raw.slice(bodyStart) })).resolves.toMatchObject({ messageId: message.id });
    const rotated = await e2a.account.rotateClaimsKey();
    expect(rotated.verification_keys).toEqual([rotated.key, claimsKey.key]);
    await expect(verifyAuthClaims(message.auth_claims!, rotated.verification_keys, { body: raw.slice(bodyStart) })).resolves.toBeTruthy();
    await expect(e2a.messages.attachment(bot, message.id, 0)).rejects.toBeInstanceOf(NotFoundError);

    expect((await e2a.messages.markRead(bot, message.id)).read_at).not.toBeNull();
    expect((await e2a.messages.list(bot, { unread: true })).items.map((m) => m.id)).not.toContain(message.id);
    expect((await e2a.messages.markRead(bot, message.id, false)).read_at).toBeNull();

    const conversations = await e2a.conversations.list(bot);
    expect(conversations.items.length).toBeGreaterThanOrEqual(2);
    const detail = await e2a.conversations.get(bot, message.conversation_id);
    expect(detail.messages.map((m) => m.id)).toContain(message.id);
  });

  it('webhooks and events, verified with constructEvent on the real requests', async () => {
    const receiver: WebhookReceiver = await startReceiver();
    try {
      const hook = await e2a.webhooks.create({ url: receiver.url, events: ['email.received'] });
      expect(hook.secret).toMatch(/^whsec_/);
      expect((await e2a.webhooks.get(hook.id)).url).toBe(receiver.url);
      expect((await e2a.webhooks.list()).items.map((w) => w.id)).toContain(hook.id);
      expect((await e2a.webhooks.update(hook.id, { description: 'sdk test' })).description).toBe('sdk test');

      await mail('webhook me', 'sdk-wh@example.com');
      await receiver.waitFor(1);
      const request = receiver.requests[0]!;
      const event = constructEvent(request.body, request.headers as Record<string, string>, hook.secret);
      expect(event).toMatchObject({ type: 'email.received', data: { subject: 'webhook me', agent_address: bot } });
      expect(() => constructEvent(request.body, request.headers as Record<string, string>, 'whsec_' + Buffer.alloc(24).toString('base64'))).toThrow(/signature mismatch.*raw request body/);
      expect(() => constructEvent(JSON.stringify(JSON.parse(request.body), null, 2), request.headers as Record<string, string>, hook.secret)).toThrow(/raw request body/);
      expect(() => constructEvent(JSON.parse(request.body), request.headers as Record<string, string>, hook.secret)).toThrow(/not a parsed object/);

      expect((await e2a.events.get(event.id)).id).toBe(event.id);
      const listed: Event[] = [];
      for await (const e of e2a.events.iterate({ type: 'email.received', agent_address: bot })) listed.push(e);
      expect(listed.map((e) => e.id)).toContain(event.id);
      await e2a.events.redeliver(event.id);
      await receiver.waitFor(2);
      expect(receiver.requests[1]!.headers['webhook-id']).toBe(event.id);

      const deliveries = await e2a.webhooks.deliveries(hook.id);
      expect(deliveries.items.some((d) => d.event_id === event.id)).toBe(true);
      const rotated = await e2a.webhooks.rotateSecret(hook.id);
      expect(rotated.secret).not.toBe(hook.secret);
      expect((await e2a.webhooks.test(hook.id)).success).toBe(true);
      const testRequest = receiver.requests[receiver.requests.length - 1]!;
      expect(() => constructEvent(testRequest.body, testRequest.headers as Record<string, string>, rotated.secret)).not.toThrow();
      expect(() => constructEvent(testRequest.body, testRequest.headers as Record<string, string>, hook.secret)).not.toThrow();
      await e2a.webhooks.delete(hook.id);
      await expect(e2a.webhooks.get(hook.id)).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await receiver.close();
    }
  });

  it('sends, replies and forwards between agents, and decides held mail through reviews', async () => {
    await e2a.agents.create({ local_part: 'peer' });
    const peer = 'peer@agents.test';
    const sent = await e2a.messages.send(bot, { to: [peer], subject: 'sdk send', text: 'hello peer' }, { wait: true });
    expect(sent.status).toBe('sent');
    const [received] = (await e2a.messages.list(peer, { subject_contains: 'sdk send' })).items;
    expect(received).toBeDefined();
    const reply = await e2a.messages.reply(peer, received!.id, { text: 'hello back' }, { wait: true });
    expect(reply.status).toBe('sent');
    expect(reply.conversation_id).toBe(received!.conversation_id);
    const [back] = (await e2a.messages.list(bot, { subject_contains: 'Re: sdk send' })).items;
    expect(back?.conversation_id).toBe(sent.conversation_id);
    const forwarded = await e2a.messages.forward(bot, back!.id, { to: [peer], text: 'see below' }, { wait: true });
    expect(forwarded.status).toBe('sent');
    // The same Idempotency-Key returns the first result instead of sending twice.
    const once = await e2a.messages.send(bot, { to: [peer], subject: 'once', text: 'x' }, { idempotencyKey: 'sdk-once-1' });
    expect((await e2a.messages.send(bot, { to: [peer], subject: 'once', text: 'x' }, { idempotencyKey: 'sdk-once-1' })).id).toBe(once.id);

    const protection = await e2a.agents.getProtection(bot);
    expect(protection.outbound.policy).toBe('open');
    const updated = await e2a.agents.setProtection(bot, { outbound: { policy: 'allowlist', allowlist: [], action: 'review' } });
    expect(updated.outbound).toMatchObject({ policy: 'allowlist', action: 'review' });
    const held = await e2a.messages.send(bot, { to: [peer], subject: 'sdk held', text: 'check me' });
    expect(held.status).toBe('pending_review');
    const pending = await e2a.reviews.list({ status: 'pending' });
    expect(pending.items.map((r) => r.id)).toContain(held.review_id);
    expect(await e2a.reviews.count()).toEqual({ pending: pending.items.length });
    expect((await e2a.reviews.get(held.review_id!)).subject).toBe('sdk held');
    expect((await e2a.reviews.approve(held.review_id!, { subject: 'sdk held (edited)' })).status).toBe('approved');
    const heldAgain = await e2a.messages.send(bot, { to: [peer], subject: 'sdk no', text: 'x' });
    expect((await e2a.reviews.reject(heldAgain.review_id!, 'not this one')).status).toBe('rejected');
    await e2a.agents.setProtection(bot, {});
    for (let i = 0; i < 100 && (await e2a.messages.list(peer, { subject_contains: 'sdk held (edited)' })).items.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await e2a.messages.list(peer, { subject_contains: 'sdk held (edited)' })).items).toHaveLength(1);
    expect((await e2a.messages.list(peer, { subject_contains: 'sdk no' })).items).toHaveLength(0);
  });
});

describe('the SDK and the OpenAPI document', () => {
  it('made only requests the served document describes', async () => {
    const doc = (await (await fetch(`${server.baseUrl}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const templates = Object.entries(doc.paths).map(([path, ops]) => ({
      pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      methods: Object.keys(ops),
    }));
    expect(calls.length).toBeGreaterThan(20);
    const undocumented = calls.filter(({ method, path }) => !templates.some((t) => t.pattern.test(path) && t.methods.includes(method)));
    expect(undocumented).toEqual([]);
  });
});
