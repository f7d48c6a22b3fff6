/**
 * The local outbox (outbound_smtp.mode outbox): mail that would leave is captured, listed to the
 * account that caused it, and readable with its raw bytes and links.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import type { OutboxMessage, OutboxPage } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { until } from '../testing/until.js';
import { CAPTURED_RESPONSE, findLinks } from './outbox.js';

const bot = `bot@${TEST_DOMAIN}`;

describe.each(ENGINES)('local outbox (%s)', (engine) => {
  let gw: TestGateway;
  let otherKey: string;
  const list = async (key?: string) => {
    const res = await gw.api('/v1/outbox', key ? { key } : {});
    expect(res.status).toBe(200);
    return (await res.json()) as OutboxPage;
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'outbox', E2A_OUTBOUND_POLL_INTERVAL_MS: '50' } });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    otherKey = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
  });
  afterAll(() => gw?.close());

  it("captures an agent's send to an outside address: sent, with the capture as the delivery note and event", async () => {
    const res = await gw.api(`/v1/agents/${bot}/messages?wait=sent`, { method: 'POST', body: JSON.stringify({ to: ['someone@partner.example'], subject: 'Quote 7', text: 'See https://partner.example/quote/7.' }) });
    const sent = (await res.json()) as { id: string; status: string };
    expect(sent.status).toBe('sent');

    const page = await list();
    const item = page.items.find((i) => i.source_id === sent.id)!;
    expect(item).toMatchObject({ source: 'message', agent_address: bot, mail_from: bot, recipients: ['someone@partner.example'], subject: 'Quote 7' });
    const full = (await (await gw.api(`/v1/outbox/${item.id}`)).json()) as OutboxMessage;
    expect(full.raw).toMatch(/^Subject: Quote 7/m);
    expect(full.raw).toMatch(/^DKIM-Signature: /m);
    expect(full.links).toEqual(['https://partner.example/quote/7']);
    const raw = await gw.api(`/v1/outbox/${item.id}/raw`);
    expect(raw.headers.get('content-type')).toMatch(/^message\/rfc822/);
    expect(await raw.text()).toBe(full.raw);

    const message = await gw.gateway.database.db.selectFrom('messages').select(['status', 'delivery']).where('id', '=', sent.id).executeTakeFirstOrThrow();
    expect(message.status).toBe('sent');
    expect(message.delivery).toEqual([{ address: 'someone@partner.example', status: 'sent', response: CAPTURED_RESPONSE }]);
    const events = (await (await gw.api('/v1/events?type=email.sent')).json()) as { items: Array<{ data: { message_id?: string; id?: string } }> };
    expect(events.items.length).toBeGreaterThan(0);

    // Another account sees none of it, listed or by id; an agent key reads no outbox at all.
    expect((await list(otherKey)).items).toEqual([]);
    expect((await gw.api(`/v1/outbox/${item.id}`, { key: otherKey })).status).toBe(404);
    expect((await gw.api(`/v1/outbox/${item.id}/raw`, { key: otherKey })).status).toBe(404);
  });

  it("captures a held message's review notification with its magic link, for the account only", async () => {
    const put = await gw.api(`/v1/agents/${bot}/protection`, { method: 'PUT', body: JSON.stringify({ outbound: { policy: 'allowlist', allowlist: [], action: 'review' }, review_notify: ['reviewer@example.com'] }) });
    expect(put.status).toBe(200);
    const res = await gw.api(`/v1/agents/${bot}/messages`, { method: 'POST', body: JSON.stringify({ to: ['x@partner.example'], subject: 'Needs a look', text: 'hello' }) });
    const held = (await res.json()) as { status: string; review_id: string };
    expect(held.status).toBe('pending_review');

    const item = await until('the review notification in the outbox', async () => (await list()).items.find((i) => i.source === 'system_mail'));
    expect(item.recipients).toEqual(['reviewer@example.com']);
    const full = (await (await gw.api(`/v1/outbox/${item.id}`)).json()) as OutboxMessage;
    const link = full.links.find((l) => l.includes('/review/'));
    expect(link).toBeDefined();
    // The link is a working magic link: its page offers the decision.
    const pageRes = await fetch(`${gw.gateway.httpUrl}${new URL(link!).pathname}`);
    expect(pageRes.status).toBe(200);
    const row = await gw.gateway.database.db.selectFrom('system_mail').select(['status']).where('id', '=', item.source_id).executeTakeFirstOrThrow();
    expect(row.status).toBe('sent');
    expect((await list(otherKey)).items).toEqual([]);
  });

  it('finds links in text, without trailing punctuation, once each', () => {
    expect(findLinks('Approve: https://a.test/review/x. Or <https://a.test/review/y>, https://a.test/review/x')).toEqual(['https://a.test/review/x', 'https://a.test/review/y']);
  });
});
