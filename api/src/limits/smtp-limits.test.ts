/**
 * The SMTP edge's shared rate budgets end to end: real SMTP into a gateway, counters in the
 * database. A sender flooding one mailbox, a client harvesting addresses across sessions, a client
 * flooding transactions, and two replicas spending one budget.
 */
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, TEST_DATABASE_URL } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';
import { deliver, sendMail } from '../testing/mail.js';

const gateways: TestGateway[] = [];
afterEach(async () => {
  // Replicas first: the first gateway drops the database they share.
  for (const g of gateways.splice(0).reverse()) await g.close();
});

async function gatewayWith(engine: (typeof ENGINES)[number], limits: Record<string, string>, replicaOf?: TestGateway): Promise<TestGateway> {
  const env = Object.fromEntries(Object.entries(limits).map(([k, v]) => [`E2A_SMTP_LIMITS_${k.toUpperCase()}`, v]));
  const gw = await startTestGateway({ engine, env: { ...env, E2A_SMTP_LIMITS_REFUSED_RECIPIENT_DELAY_MS: '0' }, ...(replicaOf ? { replicaOf } : {}) });
  gateways.push(gw);
  return gw;
}

async function createAgent(gw: TestGateway, local: string): Promise<string> {
  const res = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: local }) });
  if (res.status !== 201 && res.status !== 409) throw new Error(`agent ${local}: ${res.status} ${await res.text()}`);
  return `${local}@agents.test`;
}

async function storedCount(gw: TestGateway, address: string): Promise<number> {
  const res = await gw.api(`/v1/agents/${address}/messages?limit=100`);
  const body = (await res.json()) as { items?: unknown[] };
  if (!body.items) throw new Error(`listing ${address}: ${res.status} ${JSON.stringify(body)}`);
  return body.items.length;
}

describe.each(ENGINES)('SMTP rate budgets (%s)', (engine) => {
  it('one sender fills one mailbox only up to its hourly budget; other senders and mailboxes still get through', async () => {
    const gw = await gatewayWith(engine, { messages_per_sender_per_mailbox_per_hour: '3' });
    const bot = await createAgent(gw, 'bot');
    const other = await createAgent(gw, 'other');
    for (let i = 0; i < 3; i++) await deliver(gw.gateway.smtpPort, 'flood@example.com', [bot], buildMessage({ to: bot, messageId: `flood-${i}@example.com` }));
    const over = await sendMail(gw.gateway.smtpPort, 'flood@example.com', [bot, other], buildMessage({ to: bot, messageId: 'flood-3@example.com' }));
    expect(over.rcpt.map((r) => r.code)).toEqual([450, 250]);
    expect(over.rcpt[0]!.enhanced).toBe('4.2.1');
    expect(over.data?.code).toBe(250);
    await deliver(gw.gateway.smtpPort, 'someone-else@example.com', [bot], buildMessage({ to: bot, messageId: 'other-sender@example.com' }));
    expect(await storedCount(gw, bot)).toBe(4);
    expect(await storedCount(gw, other)).toBe(1);
  });

  it('refused recipients are limited per client network across sessions (harvesting)', async () => {
    const gw = await gatewayWith(engine, { refused_recipients_per_client_per_hour: '4' });
    const codes: string[] = [];
    for (let session = 0; session < 2; session++) {
      const r = await sendMail(gw.gateway.smtpPort, 'probe@example.com', [`guess${session}a@agents.test`, `guess${session}b@agents.test`], buildMessage());
      codes.push(...r.rcpt.map((x) => `${x.code} ${x.enhanced}`));
    }
    expect(codes).toEqual(['550 5.1.1', '550 5.1.1', '550 5.1.1', '550 5.1.1']);
    const c = await SmtpTestClient.connect(gw.gateway.smtpPort);
    await c.ehlo();
    await c.command('MAIL FROM:<probe@example.com>');
    expect(await c.command('RCPT TO:<guess9@agents.test>')).toMatchObject({ code: 421, enhanced: '4.7.0' });
    await c.closed;
  });

  it('a client network over its transactions per minute is told when to come back, and nothing more is stored', async () => {
    const gw = await gatewayWith(engine, { transactions_per_client_per_minute: '2' });
    const bot = await createAgent(gw, 'bot');
    await deliver(gw.gateway.smtpPort, 'a@example.com', [bot], buildMessage({ to: bot, messageId: 'tx-1@example.com' }));
    await deliver(gw.gateway.smtpPort, 'b@example.com', [bot], buildMessage({ to: bot, messageId: 'tx-2@example.com' }));
    const third = await sendMail(gw.gateway.smtpPort, 'c@example.com', [bot], buildMessage({ to: bot, messageId: 'tx-3@example.com' }));
    expect(third.rcpt[0]).toMatchObject({ code: 421, enhanced: '4.7.0' });
    expect(third.rcpt[0]!.text).toMatch(/try again in \d+ seconds/);
    expect(third.data).toBeNull();
    expect(await storedCount(gw, bot)).toBe(2);
  });
});

describe.runIf(TEST_DATABASE_URL)('SMTP rate budgets across replicas (needs TEST_DATABASE_URL)', () => {
  it('two gateways on one PostgreSQL spend one sender → mailbox budget', async () => {
    const a = await gatewayWith('postgres', { messages_per_sender_per_mailbox_per_hour: '3' });
    const b = await gatewayWith('postgres', { messages_per_sender_per_mailbox_per_hour: '3' }, a);
    const bot = await createAgent(a, 'bot');
    await deliver(a.gateway.smtpPort, 'flood@example.com', [bot], buildMessage({ to: bot, messageId: 'r-1@example.com' }));
    await deliver(b.gateway.smtpPort, 'flood@example.com', [bot], buildMessage({ to: bot, messageId: 'r-2@example.com' }));
    await deliver(a.gateway.smtpPort, 'flood@example.com', [bot], buildMessage({ to: bot, messageId: 'r-3@example.com' }));
    const fourth = await sendMail(b.gateway.smtpPort, 'flood@example.com', [bot], buildMessage({ to: bot, messageId: 'r-4@example.com' }));
    expect(fourth.rcpt[0]).toMatchObject({ code: 450, enhanced: '4.2.1' });
    expect(await storedCount(a, bot)).toBe(3);
  });
});
