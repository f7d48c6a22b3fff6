/**
 * Webhook delivery end to end: real SMTP into the gateway, the events trigger queues deliveries, the
 * worker POSTs them to real HTTP receivers. The retry waits are shrunk to milliseconds (the
 * production table is asserted in retry-schedule.test.ts); the clock is injected where a test needs
 * hours to pass.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { until } from '../testing/until.js';

/** Real time plus an offset the tests may move forward. */
const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };
const TINY = { capsMs: [20, 20, 20, 20, 20, 20, 20, 20], maxRetryAfterMs: 60_000 };
const ATTEMPTS_BEFORE_DEAD = TINY.capsMs.length + 1;

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });
const idOf = (r: ReceivedRequest) => String(r.headers['webhook-id']);
const headersOf = (r: ReceivedRequest) => ({ 'webhook-id': idOf(r), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) });

interface Delivery {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  last_response_excerpt: string | null;
  next_attempt_at: string | null;
  completed_at: string | null;
}

/** Control characters other than \n and \t: what an excerpt must never hold. */
const CONTROL = /[^\P{Cc}\t\n]/u;

describe.each(ENGINES)('webhook delivery (%s)', (engine) => {
  let gw: TestGateway;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      clock,
      resolver: createFakeResolver({}),
      webhookSchedule: TINY,
      env: { E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', E2A_WEBHOOKS_POLL_INTERVAL_MS: '50', E2A_WEBHOOKS_TIMEOUT_MS: '3000', E2A_WEBHOOKS_DISABLE_AFTER_HOURS: '1' },
    });
  });
  afterAll(async () => {
    await gw?.close();
    for (const r of receivers) await r.close();
  });

  /** An agent, a receiver and a webhook filtered to that agent, so tests do not see each other. */
  async function setup(name: string, answer: Parameters<typeof startReceiver>[0]) {
    const receiver = await startReceiver(answer);
    receivers.push(receiver);
    expect((await gw.api('/v1/agents', json({ local_part: name }))).status).toBe(201);
    const address = `${name}@${TEST_DOMAIN}`;
    const res = await gw.api('/v1/webhooks', json({ url: receiver.url, filters: { agent_addresses: [address] } }));
    expect(res.status).toBe(201);
    const hook = (await res.json()) as { id: string; secret: string };
    return { receiver, address, hook };
  }

  async function mail(address: string, n: number): Promise<string[]> {
    for (let i = 0; i < n; i++) {
      await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: `m${i}`, messageId: `${address}-${i}-${engine}@example.com` }));
    }
    const page = (await (await gw.api(`/v1/events?agent_address=${encodeURIComponent(address)}`)).json()) as { items: Array<{ id: string }> };
    expect(page.items).toHaveLength(n);
    return page.items.map((e) => e.id);
  }

  async function deliveries(hookId: string) {
    const res = await gw.api(`/v1/webhooks/${hookId}/deliveries`);
    return ((await res.json()) as { items: Delivery[] }).items;
  }

  it('retries through a receiver that fails for a while: every event arrives, once per success, same webhook-id', async () => {
    const FAILURES = 3;
    const seen = new Map<string, number>();
    const { receiver, address, hook } = await setup('flaky', (req) => {
      const n = (seen.get(idOf(req)) ?? 0) + 1;
      seen.set(idOf(req), n);
      return { status: n <= FAILURES ? 500 : 200 };
    });
    const events = await mail(address, 3);
    await until('all succeeded', async () => (await deliveries(hook.id)).every((d) => d.status === 'succeeded') && (await deliveries(hook.id)).length === 3);

    for (const id of events) {
      const attempts = receiver.requests.filter((r) => idOf(r) === id);
      expect(attempts).toHaveLength(FAILURES + 1);
      for (const r of attempts) {
        // Every attempt, failed or not, is a valid Standard Webhooks request for the same event.
        const body = new StandardWebhook(hook.secret).verify(r.body, headersOf(r)) as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(['created_at', 'data', 'id', 'schema_version', 'type']);
        expect(body).toMatchObject({ id, type: 'email.received', schema_version: 1, data: { agent_address: address } });
      }
    }
    expect(receiver.requests.map(idOf).sort()).toEqual(events.flatMap((id) => Array(FAILURES + 1).fill(id)).sort());
    for (const d of await deliveries(hook.id)) expect(d).toMatchObject({ status: 'succeeded', attempts: FAILURES + 1, last_status: 200, last_error: null, next_attempt_at: null });
    const webhook = (await (await gw.api(`/v1/webhooks/${hook.id}`)).json()) as { failing_since: string | null; last_success_at: string | null };
    expect(webhook.failing_since).toBeNull();
    expect(webhook.last_success_at).not.toBeNull();
  });

  it('dead-letters a delivery that never succeeds, and redeliver replays it with the same event id', async () => {
    let up = false;
    const { receiver, address, hook } = await setup('down', () => ({ status: up ? 204 : 502 }));
    const [eventId] = await mail(address, 1);
    const dead = await until('dead', async () => (await deliveries(hook.id)).find((d) => d.status === 'dead'));
    expect(dead).toMatchObject({ event_id: eventId, attempts: ATTEMPTS_BEFORE_DEAD, last_status: 502, next_attempt_at: null });
    expect(dead.last_error).toMatch(/HTTP 502/);
    expect(receiver.requests).toHaveLength(ATTEMPTS_BEFORE_DEAD);

    up = true;
    const replay = await gw.api(`/v1/events/${eventId}/redeliver`, { method: 'POST' });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toMatchObject({ event_id: eventId, deliveries: [{ webhook_id: hook.id }] });
    await until('replayed', async () => (await deliveries(hook.id))[0]?.status === 'succeeded');
    expect(await deliveries(hook.id)).toMatchObject([{ event_id: eventId, status: 'succeeded', attempts: 1, last_status: 204 }]);
    const last = receiver.requests.at(-1)!;
    expect(idOf(last)).toBe(eventId);
    expect(new StandardWebhook(hook.secret).verify(last.body, headersOf(last))).toMatchObject({ id: eventId });
  });

  it('honours Retry-After (bounded) and disables a webhook failing for webhooks.disable_after_hours', async () => {
    const { receiver, address, hook } = await setup('busy', () => ({ status: 503, headers: { 'retry-after': '7200' } }));
    const before = clock.now().getTime();
    await mail(address, 1);
    const parked = await until('first failure', async () => (await deliveries(hook.id)).find((d) => d.attempts === 1 && d.last_status === 503 && d.next_attempt_at));
    // 7200 s asked, clamped to the schedule's 60 s bound, counted from the failed attempt.
    const wait = new Date(parked.next_attempt_at!).getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(TINY.maxRetryAfterMs);
    expect(wait).toBeLessThan(TINY.maxRetryAfterMs + 30_000);
    expect(receiver.requests).toHaveLength(1);
    const failing = (await (await gw.api(`/v1/webhooks/${hook.id}`)).json()) as { failing_since: string | null; enabled: boolean };
    expect(failing.failing_since).not.toBeNull();
    expect(failing.enabled).toBe(true);

    // Two hours later (disable_after_hours = 1) the retry is due, fails, and the webhook is disabled.
    clock.offset += 2 * 3600 * 1000;
    try {
      const disabled = await until('disabled', async () => {
        const w = (await (await gw.api(`/v1/webhooks/${hook.id}`)).json()) as { enabled: boolean; disabled_reason: string | null };
        return w.enabled ? null : w;
      });
      expect(disabled.disabled_reason).toMatch(/failed for 1 h \(webhooks\.disable_after_hours\) with no success.*HTTP 503/);
      expect(receiver.requests).toHaveLength(2);
      // Re-enabling clears the reason and the failure clock.
      const enabled = await gw.api(`/v1/webhooks/${hook.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) });
      expect(await enabled.json()).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
      await gw.api(`/v1/webhooks/${hook.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    } finally {
      clock.offset = 0;
    }
  });

  it('lists and reads events with the visibility of the key', async () => {
    const { address } = await setup('reader', () => ({ status: 200 }));
    const [eventId] = await mail(address, 1);
    const key = await gw.api('/v1/account/api-keys', json({ scope: 'agent', agent_address: address }));
    const agentKey = ((await key.json()) as { key: string }).key;
    const other = (await gw.gateway.accounts.bootstrap(`other-${engine}@example.com`)).apiKey.key;

    const all = (await (await gw.api('/v1/events?type=email.received&limit=200')).json()) as { items: Array<{ id: string; data: { agent_address: string } }> };
    expect(all.items.map((e) => e.id)).toContain(eventId);
    expect(new Set(all.items.map((e) => e.data.agent_address)).size).toBeGreaterThan(1);
    const mine = (await (await gw.api('/v1/events', { key: agentKey })).json()) as { items: Array<{ id: string; data: { agent_address: string } }> };
    expect(mine.items.map((e) => e.id)).toEqual([eventId]);
    expect((await gw.api(`/v1/events/${eventId}`, { key: agentKey })).status).toBe(200);
    expect((await gw.api(`/v1/events/${all.items.find((e) => e.data.agent_address !== address)!.id}`, { key: agentKey })).status).toBe(404);
    expect((await gw.api(`/v1/events/${eventId}`, { key: other })).status).toBe(404);
    expect((await gw.api(`/v1/events/${eventId}/redeliver`, { method: 'POST', key: agentKey })).status).toBe(403);
    expect((await gw.api(`/v1/events/${eventId}/redeliver`, { method: 'POST', key: other })).status).toBe(404);
    expect(((await (await gw.api('/v1/events?type=email.sent')).json()) as { items: unknown[] }).items).toEqual([]);
    expect(((await (await gw.api(`/v1/events?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`)).json()) as { items: unknown[] }).items).toEqual([]);

    // Cursor paging walks every event once.
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await gw.api(`/v1/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { items: Array<{ id: string }>; next_cursor: string | null };
      ids.push(...page.items.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids.length).toBe(new Set(ids).size);
    expect(ids.length).toBeGreaterThanOrEqual(all.items.length);
  });
  it('records the response code, latency and a sanitised excerpt of the first 1 KiB, at most 512 characters', async () => {
    // Control characters (NUL, CR, ESC, DEL, a C1) and a two-byte UTF-8 letter, then far more than 1 KiB.
    const prefix = 'boom\u0000\r\n\tdétail \u001b[31mred\u007f\u0085!';
    const body = prefix + 'x'.repeat(4000);
    const { address, hook } = await setup('loud', () => ({ status: 500, body }));
    await mail(address, 1);
    const [d] = await until('first failure recorded', async () => {
      const list = await deliveries(hook.id);
      return list[0]?.last_status === 500 ? list : null;
    });
    const sanitisedPrefix = 'boom  \n\tdétail  [31mred  !';
    expect(d!.last_response_excerpt).toBe(sanitisedPrefix + 'x'.repeat(512 - sanitisedPrefix.length));
    expect([...d!.last_response_excerpt!]).toHaveLength(512);
    expect(d!.last_response_excerpt).not.toMatch(CONTROL);
    expect(Number.isInteger(d!.last_latency_ms)).toBe(true);
    expect(d!.last_latency_ms).toBeGreaterThanOrEqual(0);
    expect(d!.last_error).toMatch(/HTTP 500/);
  });

  it('reads a 10 MiB response body only so far: the excerpt is bounded, the rest is cut off, the delivery succeeds', async () => {
    const TOTAL = 10 * 1024 * 1024;
    const CHUNK = Buffer.alloc(64 * 1024, 'a');
    /** What the server saw: bytes the socket accepted, and whether the client hung up before the end. */
    const seen = { requests: 0, written: 0, closedEarly: null as boolean | null };
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.requests++;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(TOTAL) });
        let queued = 0;
        const pump = () => {
          while (!res.destroyed && queued < TOTAL) {
            queued += CHUNK.length;
            const ok = res.write(CHUNK, (err) => {
              if (!err) seen.written += CHUNK.length;
            });
            if (!ok) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        res.on('close', () => (seen.closedEarly = !res.writableFinished));
        pump();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big`;
      expect((await gw.api('/v1/agents', json({ local_part: 'big' }))).status).toBe(201);
      const address = `big@${TEST_DOMAIN}`;
      const hook = (await (await gw.api('/v1/webhooks', json({ url, filters: { agent_addresses: [address] } }))).json()) as { id: string };
      await mail(address, 1);
      const [d] = await until('delivered', async () => {
        const list = await deliveries(hook.id);
        return list[0]?.status === 'succeeded' ? list : null;
      });
      expect(d).toMatchObject({ status: 'succeeded', attempts: 1, last_status: 200, last_error: null, last_response_excerpt: 'a'.repeat(512) });
      expect(d!.last_latency_ms).toBeGreaterThanOrEqual(0);
      // The worker hung up long before the body's end: the server never finished writing it.
      await until('the server saw the connection close', () => seen.closedEarly !== null);
      expect(seen.requests).toBe(1);
      expect(seen.closedEarly).toBe(true);
      expect(seen.written).toBeLessThan(TOTAL);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('replays every dead delivery of a webhook in one request, leaving the others alone', async () => {
    let fixed = false;
    const subjectOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { data: { subject: string } }).data.subject;
    // m0 is accepted at once; m1 and m2 fail until the receiver is fixed.
    const { receiver, address, hook } = await setup('replayall', (req) => ({ status: fixed || subjectOf(req) === 'm0' ? 200 : 500, body: fixed ? 'fixed' : 'broken' }));
    const events = await mail(address, 3);
    const settled = await until('one succeeded, two dead', async () => {
      const list = await deliveries(hook.id);
      return list.length === 3 && list.filter((d) => d.status === 'dead').length === 2 && list.some((d) => d.status === 'succeeded') ? list : null;
    });
    const succeeded = settled.find((d) => d.status === 'succeeded')!;
    const deadEvents = settled.filter((d) => d.status === 'dead').map((d) => d.event_id).sort();
    expect(deadEvents).toHaveLength(2);
    expect(events).toContain(succeeded.event_id);
    const requestsBefore = receiver.requests.length;

    const replay = (body: unknown, key?: string | null) => gw.api(`/v1/webhooks/${hook.id}/deliveries/replay`, { method: 'POST', body: JSON.stringify(body), ...(key !== undefined ? { key } : {}) });

    // A disabled webhook would not send: 409, and nothing moves.
    expect((await gw.api(`/v1/webhooks/${hook.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    const refused = await replay({ status: 'dead' });
    expect(refused.status).toBe(409);
    const envelope = ((await refused.json()) as { error: { code: string; message: string } }).error;
    expect(envelope.code).toBe('conflict');
    expect(envelope.message).toMatch(/disabled.*enable it first/);
    expect((await deliveries(hook.id)).filter((d) => d.status === 'dead')).toHaveLength(2);
    expect((await gw.api(`/v1/webhooks/${hook.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: true }) })).status).toBe(200);

    // Another tenant gets the same 404 as on every other route of this webhook.
    const other = (await gw.gateway.accounts.bootstrap(`replay-other-${engine}@example.com`)).apiKey.key;
    const foreign = await replay({ status: 'dead' }, other);
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('not_found');

    fixed = true;
    const res = await replay({ status: 'dead' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ replayed: 2 });
    await receiver.waitFor(requestsBefore + 2, (rs) => deadEvents.every((id) => rs.slice(requestsBefore).some((r) => idOf(r) === id)));
    const after = await until('replayed deliveries succeeded', async () => {
      const list = await deliveries(hook.id);
      return list.every((d) => d.status === 'succeeded') ? list : null;
    });
    for (const d of after.filter((x) => deadEvents.includes(x.event_id))) {
      expect(d).toMatchObject({ status: 'succeeded', attempts: 1, last_status: 200, last_error: null, last_response_excerpt: 'fixed' });
    }
    // The delivery that had succeeded was not touched: same attempt, same completion, sent once.
    expect(after.find((d) => d.id === succeeded.id)).toEqual(succeeded);
    expect(receiver.requests.filter((r) => idOf(r) === succeeded.event_id)).toHaveLength(1);
    expect(receiver.requests.slice(requestsBefore).map(idOf).sort()).toEqual(deadEvents);

    // Nothing dead any more: a second replay requeues nothing.
    expect(await (await replay({ status: 'dead' })).json()).toEqual({ replayed: 0 });
  });
});
