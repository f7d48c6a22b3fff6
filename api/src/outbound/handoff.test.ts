/**
 * Mail accepted by a replica's API is committed already claimed and started in a reserved worker
 * slot (OutboundDispatch): it reaches the upstream with no claim query. With polling slowed to a
 * minute, a claim could only come from a wake, so the statement log shows which path it took.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { StatementLog } from '../testing/statement-log.js';
import { until } from '../testing/until.js';

const CLAIM = /^UPDATE messages m\s+SET locked_until/;

describe.each(ENGINES)('accepted mail handed to the worker (%s)', (engine) => {
  const log = new StatementLog();
  let gw: TestGateway;
  let sink: SmtpSink;
  const agent = `ada@${TEST_DOMAIN}`;

  beforeAll(async () => {
    sink = await startSmtpSink();
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      plugins: [log],
      env: {
        ...upstreamEnv(sink, 60000),
      },
    });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'ada' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await sink?.close();
  });

  it('sends a plain message without a claim query', async () => {
    // The worker claims once when it starts. Until that claim has come back it holds its slots, so
    // an API send then would find none free, commit the mail unclaimed and wake it (a claim that
    // is right, but not the path under test): wait for it before starting.
    await until("the worker's start-up claim", () => log.statements.some((s) => CLAIM.test(s.trim())));
    log.clear();
    const res = await gw.api(`/v1/agents/${agent}/messages`, { method: 'POST', body: JSON.stringify({ to: ['dana@example.com'], subject: 'handed over', text: 'hello' }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await until('the sink has the message', () => sink.messages.some((m) => m.raw.toString().includes('Subject: handed over')));
    await until('the message is sent', async () => {
      const m = (await (await gw.api(`/v1/agents/${agent}/messages/${id}`)).json()) as { status?: string };
      return m.status === 'sent';
    });
    expect(log.statements.filter((s) => CLAIM.test(s.trim()))).toEqual([]);
  });
});
