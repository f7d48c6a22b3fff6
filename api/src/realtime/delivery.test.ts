import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { CLOSE } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { TestListener } from './test-listener.js';

describe.each(ENGINES)('WebSocket delivery (%s)', (engine) => {
  let gw: TestGateway;
  let mailCount = 0;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
  });
  afterAll(() => gw?.close());

  async function agent(local_part: string): Promise<string> {
    const res = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part }) });
    expect(res.status).toBe(201);
    return `${local_part}@${TEST_DOMAIN}`;
  }
  async function mail(to: string, subject: string): Promise<void> {
    mailCount += 1;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [to], buildMessage({ to, subject, messageId: `ws-${mailCount}@example.com` }));
  }
  const listen = async (address: string, opts: { query?: string } = {}) => {
    const l = await TestListener.connect(gw.gateway.httpUrl, address, { key: gw.apiKey, ...opts });
    await l.ready();
    return l;
  };
  const subjects = (l: TestListener) => l.events.map((e) => e.data.subject);

  it('replays everything sent while offline, in order, and nothing acknowledged', async () => {
    const address = await agent('offline');
    const N = 7;
    for (let i = 1; i <= N; i++) await mail(address, `offline ${i}`);

    const first = await listen(address);
    const events = await first.waitEvents(N);
    expect(events.map((e) => e.data.subject)).toEqual(Array.from({ length: N }, (_, i) => `offline ${i + 1}`));
    expect(events[0]).toMatchObject({ type: 'email.received', schema_version: 1, data: { agent_address: address } });
    expect(events[0]!.id).toMatch(/^evt_/);
    await first.ack(events.map((e) => e.id));
    await first.close();

    // Acknowledged events are not replayed: the first frame after ready is the next new mail.
    const second = await listen(address);
    await mail(address, 'after acks');
    await second.waitEvents(1);
    expect(subjects(second)).toEqual(['after acks']);
    await second.close();
  });

  it('resumes after an event id: a frame, the auth frame or ?after=', async () => {
    const address = await agent('resume');
    for (const s of ['r1', 'r2', 'r3', 'r4']) await mail(address, s);
    const l = await listen(address);
    const [e1, e2] = await l.waitEvents(4);
    l.send({ type: 'resume', after: e2!.id });
    await l.waitEvents(6);
    expect(subjects(l)).toEqual(['r1', 'r2', 'r3', 'r4', 'r3', 'r4']);
    await l.close();

    const byQuery = await listen(address, { query: `?after=${e1!.id}` });
    await byQuery.waitEvents(3);
    expect(subjects(byQuery)).toEqual(['r2', 'r3', 'r4']);
    await byQuery.close();

    // Acked events stay skipped on resume: resume = the unacknowledged events after that one.
    const byFrame = await TestListener.connect(gw.gateway.httpUrl, address);
    byFrame.send({ type: 'auth', token: gw.apiKey, after: e1!.id });
    await byFrame.waitEvents(3);
    await byFrame.ack([byFrame.events[1]!.id]);
    byFrame.send({ type: 'resume', after: e1!.id });
    await byFrame.waitEvents(5);
    expect(subjects(byFrame)).toEqual(['r2', 'r3', 'r4', 'r2', 'r4']);
    await byFrame.close();
  });

  it('delivers a new mail live to every listener of the agent', async () => {
    const address = await agent('live');
    const a = await listen(address);
    const b = await listen(address);
    await mail(address, 'live one');
    const [ea] = await a.waitEvents(1);
    const [eb] = await b.waitEvents(1);
    expect(ea!.data.subject).toBe('live one');
    expect(eb!.id).toBe(ea!.id);
    // Acks are shared, but an event acked by one listener still reaches the other live.
    await a.ack([ea!.id]);
    await mail(address, 'live two');
    await a.waitEvents(2);
    await b.waitEvents(2);
    expect(subjects(a)).toEqual(['live one', 'live two']);
    expect(subjects(b)).toEqual(['live one', 'live two']);
    await Promise.all([a.close(), b.close()]);
  });

  it('does not send one agent\'s events to another agent\'s listener', async () => {
    const mine = await agent('mine');
    const theirs = await agent('theirs');
    const l = await listen(mine);
    await mail(theirs, 'not for you');
    await mail(mine, 'for you');
    await l.waitEvents(1);
    expect(subjects(l)).toEqual(['for you']);
    await l.close();
  });
});

describe.each(ENGINES)('WebSocket shutdown (%s)', (engine) => {
  it('closes listeners with 1001 and stop() returns', async () => {
    const gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    try {
      expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
      const l = await TestListener.connect(gw.gateway.httpUrl, `bot@${TEST_DOMAIN}`, { key: gw.apiKey });
      await l.ready();
      const pending = await TestListener.connect(gw.gateway.httpUrl, `bot@${TEST_DOMAIN}`);
      await gw.gateway.stop();
      expect((await l.closed).code).toBe(CLOSE.serverShutdown);
      expect((await pending.closed).code).toBe(CLOSE.serverShutdown);
      expect(gw.gateway.realtime.server.connectionCount).toBe(0);
    } finally {
      await gw.close();
    }
  });
});
