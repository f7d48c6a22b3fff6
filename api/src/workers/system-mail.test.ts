/** The system-mail worker sends review notifications through the outbound transport, or fails them visibly with mode none. */
import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { NO_ROUTE_REASON } from './outbound-send.js';
import { until } from '../testing/until.js';

describe.each(ENGINES)('system mail (%s)', (engine) => {
  const open: Array<TestGateway | SmtpSink> = [];
  afterAll(async () => {
    for (const o of open) await o.close();
  });

  async function queue(gw: TestGateway, id: string): Promise<void> {
    const box = new SecretBox(gw.gateway.secrets.encryptionKey);
    const now = new Date();
    await gw.gateway.database.db
      .insertInto('system_mail')
      .values({ id, user_id: gw.userId, kind: 'review_requested', from_address: 'review@agents.test', to_addresses: JSON.stringify(['owner@example.com']), subject: 'Review needed', text_body: box.seal('approve: https://x/review/t'), html_body: null, status: 'queued', next_attempt_at: now, locked_until: null, status_reason: null, created_at: now, sent_at: null })
      .execute();
  }
  const statusOf = (gw: TestGateway, id: string) =>
    until('the system mail outcome', async () => {
      const r = await gw.gateway.database.db.selectFrom('system_mail').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return r.status !== 'queued' && r;
    });

  it('sends through the upstream, signed and marked auto-generated', async () => {
    const sink = await startSmtpSink();
    open.push(sink);
    const gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      env: upstreamEnv(sink),
    });
    open.unshift(gw);
    await queue(gw, 'sys_test_1');
    expect((await statusOf(gw, 'sys_test_1')).status).toBe('sent');
    const got = sink.messages[0]!;
    expect(got.rcptTo).toEqual(['owner@example.com']);
    expect(got.raw.toString()).toMatch(/^DKIM-Signature: .*d=agents\.test/m);
    expect(got.raw.toString()).toMatch(/^Auto-Submitted: auto-generated/m);
  });

  it('fails with the reason when there is no outbound route', async () => {
    const gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'none', E2A_OUTBOUND_POLL_INTERVAL_MS: '50' } });
    open.unshift(gw);
    await queue(gw, 'sys_test_2');
    const row = await statusOf(gw, 'sys_test_2');
    expect(row.status).toBe('failed');
    expect(row.status_reason).toBe(NO_ROUTE_REASON);
  });
});
