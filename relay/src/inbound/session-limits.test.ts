/**
 * Session limits and rate budgets over real SMTP: connection caps, slow and endless sessions,
 * address harvesting, and what the edge answers when a shared budget is spent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ROOMY_SESSION_LIMITS } from '../testing/fake-ports.js';
import { buildMessage } from '../testing/messages.js';
import { startHarness, type Harness } from '../testing/relay-harness.js';
import { SmtpTestClient } from '../testing/smtp-client.js';
import { clientNetwork } from './client-network.js';
import type { SessionLimits } from './session-limits.js';

let harness: Harness | undefined;
const clients: SmtpTestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.quit();
  await harness?.close();
  harness = undefined;
});

async function start(limits: Partial<SessionLimits>): Promise<Harness> {
  harness = await startHarness({ overrides: { limits: { ...ROOMY_SESSION_LIMITS, ...limits } } });
  return harness;
}

async function connect(): Promise<SmtpTestClient> {
  const client = await SmtpTestClient.connect(harness!.port);
  clients.push(client);
  return client;
}

/** Connects until the server greets with 220 again (it notices a closed session asynchronously). */
async function connectWhenAdmitted(): Promise<SmtpTestClient> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = await connect();
    if (c.greeting.code === 220) return c;
    await c.closed;
    if (Date.now() > deadline) throw new Error(`still refused: ${c.greeting.lines.join(' | ')}`);
  }
}

describe('connection caps', () => {
  it('a client network holds at most max_connections_per_client sessions; a freed slot is reusable', async () => {
    await start({ maxConnectionsPerClient: 3 });
    const held = [await connect(), await connect(), await connect()];
    expect(held.map((c) => c.greeting.code)).toEqual([220, 220, 220]);
    const fourth = await connect();
    expect(fourth.greeting).toMatchObject({ code: 421, enhanced: '4.7.0' });
    await fourth.closed;
    await held[0]!.quit();
    expect((await connectWhenAdmitted()).greeting.code).toBe(220);
  });

  it('the process serves at most max_connections sessions in all', async () => {
    await start({ maxConnections: 2 });
    expect((await connect()).greeting.code).toBe(220);
    expect((await connect()).greeting.code).toBe(220);
    const third = await connect();
    expect(third.greeting).toMatchObject({ code: 421, enhanced: '4.3.2' });
    await third.closed;
  });

  it('counts IPv6 clients per /64 and IPv4 clients per address', () => {
    expect(clientNetwork('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientNetwork('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientNetwork('192.0.2.7')).toBe('192.0.2.7');
    expect(clientNetwork('2001:db8:1:3::1')).not.toBe(clientNetwork('2001:db8:1:2::1'));
  });
});

describe('slow and endless sessions', () => {
  it('a client trickling bytes under the idle timeout is closed with 421 4.4.2 once below the rate floor', async () => {
    // Idle timeout 1 s, floor 200 bytes/s after it: one byte every 100 ms never trips the idle
    // timeout but is far below the floor.
    await start({ idleTimeoutMs: 1000, minBytesPerSecond: 200 });
    const c = await connect();
    let sent = 0;
    const trickle = setInterval(() => {
      c.write('N');
      sent++;
    }, 100);
    try {
      const reply = await c.nextReply();
      expect(reply).toMatchObject({ code: 421, enhanced: '4.4.2' });
      expect(reply.text).toMatch(/too slow/);
      await c.closed;
    } finally {
      clearInterval(trickle);
    }
    expect(sent).toBeGreaterThan(3);
  });

  it('a busy session is told 421 4.4.2 at max_session_seconds and may reconnect', async () => {
    await start({ maxSessionMs: 500 });
    const c = await connect();
    await c.ehlo();
    // Keep the session active: a NOOP every 50 ms never lets the idle timeout or rate floor matter.
    let last = await c.command('NOOP');
    while (last.code === 250) last = await c.command('NOOP');
    expect(last).toMatchObject({ code: 421, enhanced: '4.4.2' });
    expect(last.text).toMatch(/session time limit/);
    await c.closed;
    expect((await connect()).greeting.code).toBe(220);
  });

  it('a client that keeps up the data rate is not cut off', async () => {
    await start({ idleTimeoutMs: 300, minBytesPerSecond: 10, maxSessionMs: 60_000 });
    const c = await connect();
    await c.ehlo();
    // ~1.5 s of NOOPs (7 bytes each, every 20 ms: at least ~40 bytes/s even on a busy machine): past the grace, above the floor.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      expect((await c.command('NOOP')).code).toBe(250);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await c.send('alice@example.com', ['bot@agents.test'], buildMessage());
    expect(r.data?.code).toBe(250);
  });
});

describe('address harvesting', () => {
  it('refused recipients are answered ever later, then the session is closed with 421 4.7.0', async () => {
    await start({ maxRefusedRecipients: 3, refusalDelayStepMs: 150, refusalDelayMaxMs: 200 });
    const c = await connect();
    await c.ehlo();
    await c.command('MAIL FROM:<probe@example.com>');
    const started = Date.now();
    const replies = [];
    for (const n of [1, 2, 3]) replies.push(await c.command(`RCPT TO:<guess${n}@agents.test>`));
    // The delays are 0, 150 and 200 ms (capped): a lower bound only, which no slow machine can break.
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(replies.map((r) => `${r.code} ${r.enhanced}`)).toEqual(['550 5.1.1', '550 5.1.1', '550 5.1.1']);
    const fourth = await c.command('RCPT TO:<guess4@agents.test>');
    expect(fourth).toMatchObject({ code: 421, enhanced: '4.7.0' });
    await c.closed;
    // Every refusal is charged to the shared budget (harvesting across sessions is limited there).
    expect(harness!.budget.steps.filter((s) => s.kind === 'refusal')).toHaveLength(3);
  });

  it('a spent refusal budget closes the session at the next refused recipient', async () => {
    await start({});
    harness!.budget.refuse('refusal', 'client_refusals');
    const c = await connect();
    await c.ehlo();
    await c.command('MAIL FROM:<probe@example.com>');
    expect(await c.command('RCPT TO:<guess@agents.test>')).toMatchObject({ code: 421, enhanced: '4.7.0' });
    await c.closed;
  });
});

describe('rate budgets shared by replicas', () => {
  it('charges each accepted recipient, the first of a transaction also as a transaction', async () => {
    await start({});
    const c = await connect();
    await c.ehlo();
    const r = await c.send('alice@example.com', ['bot@agents.test', 'helper@agents.test', 'BOT@agents.test'], buildMessage());
    expect(r.data?.code).toBe(250);
    const charged = harness!.budget.steps.filter((s) => s.kind === 'recipient');
    expect(charged.map((s) => s.kind === 'recipient' && [s.recipient.address, s.firstOfTransaction, s.mailFrom, s.client])).toEqual([
      ['bot@agents.test', true, 'alice@example.com', '127.0.0.1'],
      ['helper@agents.test', false, 'alice@example.com', '127.0.0.1'],
    ]);
  });

  it('a mailbox over its sender budget gets 450 4.2.1 while the other recipients go through', async () => {
    await start({});
    const c = await connect();
    await c.ehlo();
    await c.command('MAIL FROM:<alice@example.com>');
    expect((await c.command('RCPT TO:<bot@agents.test>')).code).toBe(250);
    harness!.budget.refuse('recipient', 'sender_recipient');
    expect(await c.command('RCPT TO:<helper@agents.test>')).toMatchObject({ code: 450, enhanced: '4.2.1' });
    expect((await c.data(buildMessage())).code).toBe(250);
    expect(harness!.sink.messages[0]!.envelope.recipients.map((r) => r.address)).toEqual(['bot@agents.test']);
  });

  it('a client network over its message budget gets 421 4.7.0 with the wait, and nothing is stored', async () => {
    await start({});
    harness!.budget.refuse('recipient', 'client_messages', 42);
    const c = await connect();
    await c.ehlo();
    await c.command('MAIL FROM:<alice@example.com>');
    const reply = await c.command('RCPT TO:<bot@agents.test>');
    expect(reply).toMatchObject({ code: 421, enhanced: '4.7.0' });
    expect(reply.text).toMatch(/try again in 42 seconds/);
    await c.closed;
    expect(harness!.sink.messages).toHaveLength(0);
  });

  it('a budget that cannot be consulted gives 451 4.3.0, never 250', async () => {
    await start({});
    harness!.budget.charge = async () => {
      throw new Error('database unavailable');
    };
    const c = await connect();
    await c.ehlo();
    await c.command('MAIL FROM:<alice@example.com>');
    expect(await c.command('RCPT TO:<bot@agents.test>')).toMatchObject({ code: 451, enhanced: '4.3.0' });
  });
});
