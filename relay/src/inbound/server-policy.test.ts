/** Session policy over real SMTP: relaying, AUTH, size, failures after DATA, recipients. */
import { afterEach, describe, expect, it } from 'vitest';
import { MALFORMED, buildMessage } from '../testing/messages.js';
import { startHarness, type Harness, type HarnessOptions } from '../testing/relay-harness.js';
import { SmtpTestClient } from '../testing/smtp-client.js';

let harness: Harness | undefined;
const clients: SmtpTestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.quit();
  await harness?.close();
  harness = undefined;
});

async function session(opts: HarnessOptions = {}): Promise<SmtpTestClient> {
  harness ??= await startHarness(opts);
  const client = await SmtpTestClient.connect(harness.port);
  clients.push(client);
  await client.ehlo();
  return client;
}

describe('open-relay resistance', () => {
  it.each([
    ['a@ext.example', 550, '5.7.1'],
    ['a%ext.example@agents.test', 550, '5.7.1'],
    ['ext.example!a@agents.test', 550, '5.7.1'],
    // smtp-server drops the source route (RFC 5321 appendix C) and hands us a@ext.example.
    ['@agents.test:a@ext.example', 550, '5.7.1'],
    ['a@[127.0.0.1]', 550, '5.7.1'],
  ])('RCPT TO:<%s> → %i %s', async (address, code, enhanced) => {
    const c = await session();
    await c.command('MAIL FROM:<alice@example.com>');
    expect(await c.command(`RCPT TO:<${address}>`)).toMatchObject({ code, enhanced });
  });

  it('"a@ext"@ours is refused before our hook: smtp-server finds two @ and answers 501', async () => {
    const c = await session();
    await c.command('MAIL FROM:<alice@example.com>');
    const reply = await c.command('RCPT TO:<"a@ext.example"@agents.test>');
    expect(reply.code).toBe(501);
    expect(harness!.directory.lookups).toEqual([]);
  });

  it('a quoted local part without @ reaches our policy and is refused as relaying', async () => {
    const c = await session();
    await c.command('MAIL FROM:<alice@example.com>');
    expect(await c.command('RCPT TO:<"a%ext.example"@agents.test>')).toMatchObject({ code: 550, enhanced: '5.7.1' });
  });

  it('an unknown mailbox of ours is 550 5.1.1', async () => {
    const c = await session();
    await c.command('MAIL FROM:<alice@example.com>');
    expect(await c.command('RCPT TO:<nobody@agents.test>')).toMatchObject({ code: 550, enhanced: '5.1.1' });
  });

  it('a refused recipient does not stop the others: DATA goes to the accepted one only', async () => {
    const c = await session();
    const r = await c.send('alice@example.com', ['a@ext.example', 'bot@agents.test'], buildMessage());
    expect(r.rcpt.map((x) => x.code)).toEqual([550, 250]);
    expect(r.data?.code).toBe(250);
    expect(harness!.sink.messages[0]!.envelope.recipients.map((x) => x.address)).toEqual(['bot@agents.test']);
  });
});

describe('no AUTH, no STARTTLS without keys, no rDNS', () => {
  it('does not offer AUTH or STARTTLS and refuses AUTH with a 5xx', async () => {
    harness = await startHarness();
    const c = await SmtpTestClient.connect(harness.port);
    clients.push(c);
    const ehlo = await c.ehlo();
    const caps = ehlo.lines.join('\n');
    expect(caps).not.toMatch(/AUTH/);
    expect(caps).not.toMatch(/STARTTLS/);
    expect(caps).toMatch(/SIZE 65536/);
    expect((await c.command('AUTH PLAIN AGJvdABzZWNyZXQ=')).code).toBeGreaterThanOrEqual(500);
    expect((await c.command('STARTTLS')).code).toBeGreaterThanOrEqual(500);
    // The session is still usable for plain inbound delivery.
    expect((await c.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
  });
});

describe('message size', () => {
  const big = buildMessage({ body: `${'x'.repeat(998)}\n`.repeat(200) }); // ~200 KB > 64 KiB limit

  it('rejects an oversize message with 552 5.3.4; the same and a new connection still deliver', async () => {
    const c = await session();
    const r = await c.send('alice@example.com', ['bot@agents.test'], big);
    expect(r.data).toMatchObject({ code: 552, enhanced: '5.3.4' });
    expect(harness!.sink.messages).toHaveLength(0);

    expect((await c.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
    const fresh = await session();
    expect((await fresh.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
    expect(harness!.sink.messages).toHaveLength(2);
  });

  it('refuses a declared SIZE over the limit at MAIL FROM', async () => {
    const c = await session();
    expect((await c.command('MAIL FROM:<alice@example.com> SIZE=10000000')).code).toBe(552);
  });
});

describe('failures after DATA', () => {
  it('a sink that throws gives 451 4.3.0, and the next message is accepted again', async () => {
    const c = await session();
    harness!.sink.failWith(new Error('database is down'));
    const r = await c.send('alice@example.com', ['bot@agents.test'], buildMessage());
    expect(r.data).toMatchObject({ code: 451, enhanced: '4.3.0' });
    harness!.sink.failWith(null);
    expect((await c.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
  });

  it('a verifier that blows up still yields 451, never 250 or 5xx', async () => {
    const c = await session({ verifier: { verify: () => Promise.reject(new Error('bug')) } });
    const r = await c.send('alice@example.com', ['bot@agents.test'], buildMessage());
    expect(r.data).toMatchObject({ code: 451, enhanced: '4.3.0' });
  });

  it('a directory that throws at RCPT gives 451 4.3.0', async () => {
    harness = await startHarness();
    harness.directory.lookup = () => Promise.reject(new Error('db down'));
    const c = await session();
    await c.command('MAIL FROM:<alice@example.com>');
    expect(await c.command('RCPT TO:<bot@agents.test>')).toMatchObject({ code: 451, enhanced: '4.3.0' });
  });
});

describe('malformed MIME', () => {
  it.each(Object.keys(MALFORMED))('accepts and stores %s', async (name) => {
    const c = await session();
    const r = await c.send('alice@example.com', ['bot@agents.test'], MALFORMED[name]!);
    expect(r.data?.code).toBe(250);
    expect(harness!.sink.messages).toHaveLength(1);
    expect(harness!.sink.messages[0]!.parsed).toBeDefined();
  });
});

describe('recipients', () => {
  it('one accept carries every recipient, duplicates removed', async () => {
    const c = await session();
    const r = await c.send('alice@example.com', ['bot@agents.test', 'helper@agents.test', 'BOT@agents.test', 'bot@AGENTS.test'], buildMessage());
    expect(r.rcpt.every((x) => x.code === 250)).toBe(true);
    expect(r.data?.code).toBe(250);
    expect(harness!.sink.messages).toHaveLength(1);
    expect(harness!.sink.messages[0]!.envelope.recipients.map((x) => x.address)).toEqual(['bot@agents.test', 'helper@agents.test']);
    // With several recipients the Received line names none of them (Bcc privacy).
    expect(harness!.sink.messages[0]!.raw.toString()).not.toMatch(/\tfor </);
  });

  it('caps distinct recipients with 452 4.5.3', async () => {
    const mailboxes = ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => `${l}@agents.test`);
    const c = await session({ mailboxes });
    await c.command('MAIL FROM:<alice@example.com>');
    const codes = [];
    for (const m of mailboxes) codes.push((await c.command(`RCPT TO:<${m}>`)).code);
    expect(codes).toEqual([250, 250, 250, 250, 250, 452]);
  });

  it('RSET forgets the recipients of the abandoned transaction', async () => {
    const c = await session();
    await c.command('MAIL FROM:<alice@example.com>');
    await c.command('RCPT TO:<helper@agents.test>');
    await c.command('RSET');
    await c.send('alice@example.com', ['bot@agents.test'], buildMessage());
    expect(harness!.sink.messages[0]!.envelope.recipients.map((x) => x.address)).toEqual(['bot@agents.test']);
  });
});
