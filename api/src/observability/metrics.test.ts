import { Writable } from 'node:stream';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { runWithLogContext, withLogContext } from './log-context.js';

const agent = `metered@${TEST_DOMAIN}`;
const SUBJECT = 'quarterly-figures-7f3a';

/** The value of one sample line, `name{labels} value`, or 0 when the series does not exist yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function scrape(gw: TestGateway, token?: string): Promise<string> {
  const res = await fetch(`${gw.gateway.httpUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

describe.each(ENGINES)('GET /metrics (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'metered' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('counts an inbound message: session, 250 transaction, verdicts, bytes, stored copy', async () => {
    const before = await scrape(gw);
    const raw = buildMessage({ to: agent, subject: SUBJECT, messageId: 'metrics-1@example.com' });
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [agent], raw);
    const after = await scrape(gw);
    const moved = (series: string) => sample(after, series) - sample(before, series);
    expect(moved('e2a_smtp_sessions_total{result="accepted"}')).toBe(1);
    expect(moved('e2a_smtp_transactions_total{code="250"}')).toBe(1);
    expect(moved('e2a_inbound_messages_total{status="received"}')).toBe(1);
    expect(moved('e2a_inbound_bytes_total')).toBe(raw.length);
    // No DNS records in the fake resolver: SPF none, no signature, DMARC none.
    expect(moved('e2a_inbound_auth_verdicts_total{check="spf",result="none"}')).toBe(1);
    expect(moved('e2a_inbound_auth_verdicts_total{check="dkim",result="none"}')).toBe(1);
    expect(moved('e2a_inbound_auth_verdicts_total{check="dmarc",result="none"}')).toBe(1);
    // Scrape-time gauges and the default process metrics are there too.
    expect(after).toContain('e2a_webhook_queue_depth ');
    expect(after).toContain('e2a_webhook_queue_oldest_age_seconds ');
    expect(after).toContain('e2a_websocket_listeners 0');
    expect(after).toContain('e2a_nodejs_eventloop_lag_seconds');
    if (engine === 'postgres') expect(after).toMatch(/^e2a_db_pool_connections \d+$/m);
    // Tenant data never becomes a label or a value.
    expect(after).not.toContain('metered');
    expect(after).not.toContain(SUBJECT);
    expect(after).not.toContain('alice@example.com');
  });
});

describe('GET /metrics with metrics.bearer_token', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: { E2A_METRICS_BEARER_TOKEN: 'scrape-token-0123456789', E2A_API_LIMITS_FAILED_AUTH_PER_CLIENT_PER_HOUR: '1' } });
  });
  afterAll(() => gw?.close());

  it('answers 401 without the token or with another, 200 with it', async () => {
    const none = await fetch(`${gw.gateway.httpUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.text()).toContain('metrics.bearer_token');
    // An API key is not the metrics token.
    expect((await fetch(`${gw.gateway.httpUrl}/metrics`, { headers: { authorization: `Bearer ${gw.apiKey}` } })).status).toBe(401);
    expect(await scrape(gw, 'scrape-token-0123456789')).toContain('e2a_smtp_sessions_total');
  });

  it('counts rate-limit refusals by rule name, never by client or key', async () => {
    const series = 'e2a_rate_limit_rejections_total{rule="failed_auth_per_client_per_hour"}';
    expect(sample(await scrape(gw, 'scrape-token-0123456789'), series)).toBe(0);
    expect((await gw.api('/v1/agents', { key: 'e2a_not_a_real_key' })).status).toBe(401);
    expect((await gw.api('/v1/agents', { key: 'e2a_not_a_real_key' })).status).toBe(429);
    const after = await scrape(gw, 'scrape-token-0123456789');
    expect(sample(after, series)).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain('127.0.0.1');
    expect(after).not.toContain('e2a_not_a_real_key');
  });
});

describe('metrics.listen_addr', () => {
  it('serves /metrics on its own listener, and not on the API listener', async () => {
    const gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: { E2A_METRICS_LISTEN_ADDR: '127.0.0.1:0' } });
    try {
      expect(gw.gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${gw.gateway.metricsUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('e2a_smtp_sessions_total');
      expect((await fetch(`${gw.gateway.metricsUrl}/v1/info`)).status).toBe(404);
      expect((await fetch(`${gw.gateway.httpUrl}/metrics`)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

describe('metrics.enabled false', () => {
  it('serves no /metrics', async () => {
    const gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: { E2A_METRICS_ENABLED: 'false' } });
    try {
      expect((await fetch(`${gw.gateway.httpUrl}/metrics`)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

describe('access log and log context', () => {
  let gw: TestGateway;
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), logger: pino({ level: 'debug' }, stream) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'logged' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('writes one line per request with the route template, status, duration, request id and account, never the key or the path', async () => {
    const address = `logged@${TEST_DOMAIN}`;
    const res = await gw.api(`/v1/agents/${address}/messages`, { headers: { 'x-request-id': 'req-access-log-1' } });
    expect(res.status).toBe(200);
    // The line is written when the response finishes, which may be just after the client has it.
    const line = await until('the access-log line', () => lines.find((l) => l.request_id === 'req-access-log-1' && l.msg === 'request'), 5000);
    expect(line).toMatchObject({ route: '/v1/agents/:address/messages', res: { status: 200 }, req: { method: 'GET' }, account_id: gw.userId });
    expect(typeof line.duration_ms).toBe('number');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(gw.apiKey);
    expect(JSON.stringify(line)).not.toContain(address);
  });

  it('logs an unmatched path with no route and no account', async () => {
    const res = await gw.api('/no/such/path', { key: null, headers: { 'x-request-id': 'req-access-log-2' } });
    expect(res.status).toBe(404);
    const line = await until('the access-log line', () => lines.find((l) => l.request_id === 'req-access-log-2' && l.msg === 'request'), 5000);
    expect(line).toMatchObject({ route: null, res: { status: 404 } });
    expect(line.account_id).toBeUndefined();
  });

  it('puts the context on every line logged inside it, by any child logger', () => {
    const captured: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        captured.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        callback();
      },
    });
    const logger = withLogContext(pino(stream)).child({ part: 'deep' });
    runWithLogContext({ request_id: 'req-ctx', account_id: 'acc_1' }, () => logger.info({ n: 1 }, 'inside'));
    logger.info('outside');
    expect(captured[0]).toMatchObject({ request_id: 'req-ctx', account_id: 'acc_1', part: 'deep', n: 1, msg: 'inside' });
    expect(captured[1]!.request_id).toBeUndefined();
  });

  it('puts the SMTP transaction id on the lines logged while it is processed', async () => {
    const address = `logged@${TEST_DOMAIN}`;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'log me' }));
    const accepted = await until('the accepted line', () => lines.find((l) => l.msg === 'inbound message accepted'), 5000);
    expect(accepted.queueId).toMatch(/^q_/);
    expect(typeof accepted.tx).toBe('string');
  });
});
