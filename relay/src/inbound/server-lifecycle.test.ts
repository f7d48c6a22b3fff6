/** PROXY protocol trust and graceful shutdown. */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage, InboundSink } from '../ports.js';
import { buildMessage } from '../testing/messages.js';
import { startHarness, type Harness } from '../testing/relay-harness.js';
import { SmtpTestClient } from '../testing/smtp-client.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const zone = { 'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] } };

describe('PROXY protocol', () => {
  it('takes the client address from a PROXY header sent by a trusted CIDR', async () => {
    harness = await startHarness({ zone, overrides: { trustedProxyCidrs: ['127.0.0.0/8'] } });
    const c = await SmtpTestClient.connect(harness.port, { preamble: 'PROXY TCP4 203.0.113.7 127.0.0.1 40000 25\r\n' });
    await c.ehlo();
    expect((await c.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
    await c.quit();
    const msg = harness.sink.messages[0]!;
    expect(msg.envelope.remoteAddress).toBe('203.0.113.7');
    // SPF was evaluated for the real client, which example.com does not list.
    expect(msg.authentication.spf.status).toBe('fail');
  });

  it('ignores PROXY from a peer outside the trusted CIDRs', async () => {
    harness = await startHarness({ zone, overrides: { trustedProxyCidrs: ['10.0.0.0/8'] } });
    const c = await SmtpTestClient.connect(harness.port);
    expect((await c.command('PROXY TCP4 203.0.113.7 127.0.0.1 40000 25')).code).toBe(500);
    await c.ehlo();
    expect((await c.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
    await c.quit();
    expect(harness.sink.messages[0]!.envelope.remoteAddress).toBe('127.0.0.1');
    expect(harness.sink.messages[0]!.authentication.spf.status).toBe('pass');
  });

  it('rejects a malformed trusted-proxy list with a message naming the entry', async () => {
    await expect(startHarness({ overrides: { trustedProxyCidrs: ['10.0.0.0/99'] } })).rejects.toThrow(/10\.0\.0\.0\/99/);
    await expect(startHarness({ overrides: { trustedProxyCidrs: ['proxy.local'] } })).rejects.toThrow(/proxy\.local/);
  });
});

describe('close()', () => {
  it('lets an in-flight transaction finish with its 250, cuts idle sessions, refuses new connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inSink = new Promise<void>((r) => (entered = r));
    const stored: InboundMessage[] = [];
    const slowSink: InboundSink = {
      async accept(m) {
        entered();
        await gate;
        stored.push(m);
        return { queueId: 'q-slow' };
      },
    };
    const h = await startHarness({ zone, overrides: { sink: slowSink } });

    const idle = await SmtpTestClient.connect(h.port);
    await idle.ehlo();
    const busy = await SmtpTestClient.connect(h.port);
    await busy.ehlo();
    const sending = busy.send('alice@example.com', ['bot@agents.test'], buildMessage());
    await inSink;

    const closing = h.close();
    release();
    expect((await sending).data).toMatchObject({ code: 250, text: '2.0.0 ok queued as q-slow' });
    await closing;
    expect(stored).toHaveLength(1);

    const refused = await new Promise<string>((resolve) => {
      const s = connect({ port: h.port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await idle.quit();
    await busy.quit();
  });
});

describe('STARTTLS', () => {
  it('is offered only when a key and certificate are configured', async () => {
    // smtp-server's built-in test certificate; never use it outside tests.
    const { default: getTLSOptions } = await import('smtp-server/lib/tls-options.js');
    const defaults = getTLSOptions({}) as { key: string | Buffer; cert: string | Buffer };
    harness = await startHarness({ overrides: { tls: { key: Buffer.from(defaults.key), cert: Buffer.from(defaults.cert) } } });
    const c = await SmtpTestClient.connect(harness.port);
    const ehlo = await c.ehlo();
    expect(ehlo.lines.join('\n')).toMatch(/STARTTLS/);
    expect(ehlo.lines.join('\n')).not.toMatch(/AUTH/);
    expect((await c.command('STARTTLS')).code).toBe(220);
    await c.quit();
  });
});
