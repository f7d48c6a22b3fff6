/**
 * At-least-once across a crash: the gateway is SIGKILLed while webhook attempts hang in a slow
 * receiver; after a restart on the same data every event is delivered (duplicates allowed, always
 * with the event id as webhook-id), because the claims of the dead process lapse and are retaken.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '@e2a/relay/testing';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, ENGINES, type Engine } from '../testing/databases.js';
import { deliver } from '../testing/mail.js';
import { startServer, type RunningServer } from '../testing/server-process.js';
import { until } from '../testing/until.js';
import { startReceiver } from '../testing/webhook-receiver.js';

const DOMAIN = 'agents.test';
const AGENT = `bot@${DOMAIN}`;
const EVENTS = 6;
const HANGING_BEFORE_KILL = 3;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function storage(engine: Engine): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'e2a-webhook-crash-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  if (engine === 'pglite') return { E2A_DATA_DIR: dir };
  const db = await createPostgresDatabase();
  cleanups.push(() => db.drop());
  return { E2A_DATA_DIR: dir, E2A_DATABASE_URL: db.url };
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer(env);
  cleanups.push(() => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  });
  return server;
}

describe.each(ENGINES)('webhook delivery across SIGKILL (%s)', (engine) => {
  it('delivers every event after a restart, with the same webhook-id', { timeout: 120_000 }, async () => {
    let hang = true;
    const receiver = await startReceiver(() => (hang ? 'hang' : { status: 200 }));
    cleanups.push(() => receiver.close());
    const env = {
      ...(await storage(engine)),
      E2A_ENV: 'test',
      E2A_SHARED_DOMAIN: DOMAIN,
      E2A_SMTP_HOSTNAME: 'mx.agents.test',
      E2A_SIGNING_HMAC_SECRET: 'webhook-crash-hmac-secret-0123456789abcdef',
      E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
      // Refused at once: sender authentication is not under test.
      E2A_DNS_SERVERS: '127.0.0.1:9',
      E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      // Long enough that no hanging attempt times out before the kill; the claim lapses 5 s after.
      E2A_WEBHOOKS_TIMEOUT_MS: '6000',
      E2A_WEBHOOKS_POLL_INTERVAL_MS: '100',
    };

    const first = await start(env);
    const apiKey = /API key: (e2a_\S+)/.exec(first.output())![1]!;
    const api = (server: RunningServer, path: string, body?: unknown) =>
      fetch(`${server.http}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await api(first, '/v1/agents', { local_part: 'bot' })).status).toBe(201);
    const hook = (await (await api(first, '/v1/webhooks', { url: receiver.url })).json()) as { id: string; secret: string };

    for (let i = 0; i < EVENTS; i++) {
      await deliver(first.smtpPort, 'alice@example.com', [AGENT], buildMessage({ to: AGENT, messageId: `crash-${i}-${engine}@example.com` }));
    }
    const events = ((await (await api(first, '/v1/events?limit=200')).json()) as { items: Array<{ id: string }> }).items.map((e) => e.id);
    expect(events).toHaveLength(EVENTS);

    await receiver.waitFor(HANGING_BEFORE_KILL);
    first.child.kill('SIGKILL');
    await first.exited;
    const inFlightAtKill = new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])));
    expect(inFlightAtKill.size).toBeGreaterThanOrEqual(HANGING_BEFORE_KILL);
    hang = false;

    const second = await start(env);
    // Succeeded in the database for every event: the lapsed claims were retaken by the new process.
    const done = await until(`all ${EVENTS} deliveries succeeded after the restart`, async () => {
      const page = (await (await api(second, `/v1/webhooks/${hook.id}/deliveries?limit=200`)).json()) as { items: Array<{ event_id: string; status: string }> };
      return page.items.length === EVENTS && page.items.every((d) => d.status === 'succeeded') ? page.items : null;
    }, 60_000);
    expect(done.map((d) => d.event_id).sort()).toEqual([...events].sort());

    // Every request, before and after the crash, is a valid signed request for one of the events.
    for (const r of receiver.requests) {
      const id = String(r.headers['webhook-id']);
      expect(events).toContain(id);
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
      expect(new StandardWebhook(hook.secret).verify(r.body, headers)).toMatchObject({ id });
    }
    // The ones cut off by the kill were sent again after the restart.
    for (const id of inFlightAtKill) expect(receiver.requests.filter((r) => String(r.headers['webhook-id']) === id).length).toBeGreaterThanOrEqual(2);

    second.child.kill('SIGTERM');
    await second.exited;
    expect(second.child.exitCode).toBe(0);
  });
});
