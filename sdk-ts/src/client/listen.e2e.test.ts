/**
 * listen() against a real gateway process: at-least-once acknowledgement (only what the consumer
 * finished with is acked), delivery across a server restart, and a key revoked while listening.
 */
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2A, ListenRevokedError, type Event } from '../index.js';
import { startLiveServer, type LiveServer } from '../testing/live-server.js';

let server: LiveServer;
let e2a: E2A;
let sent = 0;

async function mail(to: string, subject: string, headers: string[] = []): Promise<void> {
  sent += 1;
  const client = await SmtpTestClient.connect(server.smtpPort);
  await client.ehlo();
  const result = await client.send('alice@example.com', [to], buildMessage({ to, subject, headers, messageId: `listen-e2e-${sent}@example.com` }));
  await client.quit();
  if (result.data?.code !== 250) throw new Error(`SMTP refused: ${JSON.stringify(result)}`);
}

async function agent(local: string): Promise<string> {
  return (await e2a.agents.create({ local_part: local })).address;
}

/**
 * The subjects of the first `n` events a fresh listen() replays, acking nothing. Bounded: if fewer
 * come, the shorter list fails the comparison that follows.
 */
async function replayed(address: string, n: number): Promise<string[]> {
  const out: string[] = [];
  const stream = e2a.listen(address, { autoAck: false, signal: AbortSignal.timeout(15_000) });
  for await (const event of stream) {
    out.push(String(event.data.subject));
    if (out.length === n) break;
  }
  return out;
}

/** Resolves when `count()` reaches `n`; `poke` is called by whoever changes the count. */
function reached(count: () => number, n: number): { promise: Promise<void>; poke: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const poke = () => {
    if (count() >= n) resolve();
  };
  return { promise, poke };
}

beforeAll(async () => {
  server = await startLiveServer();
  e2a = new E2A({ apiKey: server.apiKey, baseUrl: server.baseUrl });
});
afterAll(() => server?.stop());

describe('listen() acknowledges only what the consumer finished with', () => {
  it('a consumer that throws on an event loses nothing: the event comes again on the next listen()', async () => {
    const address = await agent('thrower');
    for (const s of ['one', 'two', 'three']) await mail(address, s);

    const handled: string[] = [];
    const failure = await (async () => {
      for await (const event of e2a.listen(address)) {
        if (event.data.subject === 'two') throw new Error('handler failed on two');
        handled.push(String(event.data.subject));
      }
    })().catch((err: Error) => err);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('handler failed on two');
    expect(handled).toEqual(['one']);

    // 'one' was finished with (the loop asked for the next event) and is acked; 'two' is not.
    expect(await replayed(address, 2)).toEqual(['two', 'three']);
  });

  it('break after N events acks exactly N', async () => {
    const address = await agent('breaker');
    for (const s of ['a', 'b', 'c', 'd', 'e']) await mail(address, s);

    const handled: string[] = [];
    for await (const event of e2a.listen(address)) {
      if (handled.length === 2) break; // the third event is in hand, not handled
      handled.push(String(event.data.subject));
    }
    expect(handled).toEqual(['a', 'b']);
    expect(await replayed(address, 3)).toEqual(['c', 'd', 'e']);
  });

  it('ack() before break acks the event in hand too', async () => {
    const address = await agent('acker');
    for (const s of ['x', 'y', 'z']) await mail(address, s);

    const stream = e2a.listen(address);
    const handled: string[] = [];
    for await (const event of stream) {
      handled.push(String(event.data.subject));
      if (handled.length === 2) {
        await stream.ack(event);
        break;
      }
    }
    expect(handled).toEqual(['x', 'y']);
    expect(await replayed(address, 1)).toEqual(['z']);
  });
});

describe('listen({ priority })', () => {
  it('hands out only mail of that priority and leaves the rest unacknowledged for later', async () => {
    const address = await agent('prioritised');
    await mail(address, 'routine');
    await mail(address, 'urgent backlog', ['X-Priority: 1']);

    const stream = e2a.listen(address, { priority: 'urgent', signal: AbortSignal.timeout(15_000) });
    const handled: string[] = [];
    for await (const event of stream) {
      handled.push(String(event.data.subject));
      expect(event.data.priority).toBe('urgent');
      if (handled.length === 1) {
        // Live now: a normal message the filter passes over, then an urgent one it hands out.
        await mail(address, 'routine live');
        await mail(address, 'urgent live', ['Importance: high']);
      } else {
        await stream.ack(event);
        break;
      }
    }
    expect(handled).toEqual(['urgent backlog', 'urgent live']);
    // The normal mail was neither handed out nor acked: an unfiltered listener gets it.
    expect(await replayed(address, 2)).toEqual(['routine', 'routine live']);
  });
});

describe('listen() across failures', () => {
  it('gets every event across a server restart, each once, in order', async () => {
    const address = await agent('restart');
    const abort = new AbortController();
    const got: string[] = [];
    const states: string[] = [];
    const firstThree = reached(() => got.length, 3);
    const connected = reached(() => states.filter((s) => s === 'connected').length, 1);
    const reconnected = reached(() => states.filter((s) => s === 'connected').length, 2);
    const onStatus = (s: { state: string }) => {
      states.push(s.state);
      connected.poke();
      reconnected.poke();
    };
    const consumer = (async () => {
      for await (const event of e2a.listen(address, { signal: abort.signal, maxBackoffMs: 500, onStatus })) {
        got.push(String(event.data.subject));
        firstThree.poke();
        if (got.length === 6) break;
      }
    })();
    await connected.promise;
    for (let i = 0; i < 3; i++) await mail(address, `listen ${i}`);
    await firstThree.promise;
    await server.restart();
    await reconnected.promise;
    for (let i = 3; i < 6; i++) await mail(address, `listen ${i}`);
    await consumer;
    abort.abort();
    expect(got).toEqual([0, 1, 2, 3, 4, 5].map((i) => `listen ${i}`));
    expect(states).toContain('disconnected');
  });

  it('a key revoked while listening ends listen() with ListenRevokedError', async () => {
    const address = await agent('revoked');
    const created = await e2a.apiKeys.create({ name: 'revoked while listening', scope: 'agent', agent_address: address });
    const listener = new E2A({ apiKey: created.key, baseUrl: server.baseUrl });
    let onConnected!: () => void;
    const connected = new Promise<void>((resolve) => (onConnected = resolve));
    const stream = listener.listen(address, { onStatus: (s) => s.state === 'connected' && onConnected() });
    const events: Event[] = [];
    const ended = (async () => {
      for await (const event of stream) events.push(event);
    })().then(
      () => null,
      (err: unknown) => err,
    );
    await connected;
    await e2a.apiKeys.revoke(created.id);
    const err = await ended;
    expect(err).toBeInstanceOf(ListenRevokedError);
    expect((err as Error).message).toMatch(/API key revoked.*create a new one/);
  });
});
