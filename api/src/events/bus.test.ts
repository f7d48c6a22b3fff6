import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { createEventBus, type EventNotice } from './bus.js';
import { agentChannel } from './outbox.js';

describe.each(ENGINES)('event bus (%s)', (engine) => {
  let gw: TestGateway;
  let agentId: string;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    const created = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) });
    expect(created.status).toBe(201);
    agentId = ((await created.json()) as { id: string }).id;
  });
  afterAll(() => gw?.close());

  it('announces a committed event with its agent and sequence number', async () => {
    const bus = await createEventBus(gw.gateway.database, pino({ level: 'silent' }));
    const seen: EventNotice[] = [];
    bus.subscribe((n) => seen.push(n));
    // An agent's feed events are heard while something in the process watches that agent.
    const unwatch = await bus.watchAgent(agentId);
    try {
      await deliver(gw.gateway.smtpPort, 'alice@example.com', [`bot@${TEST_DOMAIN}`], buildMessage({ to: `bot@${TEST_DOMAIN}`, messageId: 'bus-1@example.com' }));
      const event = await gw.gateway.database.db.selectFrom('events').select(['agent_id', 'seq']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
      await until('the notice of the committed event', () => seen.length > 0);
      expect(seen).toEqual([{ agentId: event.agent_id, seq: Number(event.seq), type: 'email.received', deliveries: 0 }]);
    } finally {
      unwatch();
      await bus.close();
    }
  });

  it("hears an agent's feed events only while something watches that agent", async () => {
    // Another agent on another channel (agents share one when their ids end alike).
    let other: { id: string; address: string };
    let n = 0;
    do {
      const created = await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: `other${++n}` }) });
      expect(created.status).toBe(201);
      other = (await created.json()) as { id: string; address: string };
    } while (agentChannel(other.id) === agentChannel(agentId));
    const bus = await createEventBus(gw.gateway.database, pino({ level: 'silent' }));
    const seen: Array<string | null> = [];
    bus.subscribe((n) => seen.push(n.agentId));
    const send = (to: string, id: string) => deliver(gw.gateway.smtpPort, 'alice@example.com', [to], buildMessage({ to, messageId: `${id}@example.com` }));
    try {
      const unwatch = await bus.watchAgent(other.id);
      // Notices arrive in commit order: once the second is heard, the first would have been.
      await send(`bot@${TEST_DOMAIN}`, 'bus-unwatched-1');
      await send(other.address, 'bus-watched-1');
      await until("the watched agent's notice", () => seen.length > 0);
      expect(seen).toEqual([other.id]);
      unwatch();
      const unwatchBot = await bus.watchAgent(agentId);
      await send(other.address, 'bus-unwatched-2');
      await send(`bot@${TEST_DOMAIN}`, 'bus-watched-2');
      await until("the newly watched agent's notice", () => seen.length > 1);
      expect(seen).toEqual([other.id, agentId]);
      unwatchBot();
    } finally {
      await bus.close();
    }
  });
});
