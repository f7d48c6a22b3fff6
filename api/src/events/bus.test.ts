import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { createEventBus, type EventNotice } from './bus.js';

describe.each(ENGINES)('event bus (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('announces a committed event with its agent and sequence number', async () => {
    const bus = await createEventBus(gw.gateway.database, pino({ level: 'silent' }));
    const seen: EventNotice[] = [];
    bus.subscribe((n) => seen.push(n));
    try {
      await deliver(gw.gateway.smtpPort, 'alice@example.com', [`bot@${TEST_DOMAIN}`], buildMessage({ to: `bot@${TEST_DOMAIN}`, messageId: 'bus-1@example.com' }));
      const event = await gw.gateway.database.db.selectFrom('events').select(['agent_id', 'seq']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
      await until('the notice of the committed event', () => seen.length > 0);
      expect(seen).toEqual([{ agentId: event.agent_id, seq: Number(event.seq), type: 'email.received', deliveries: 0 }]);
    } finally {
      await bus.close();
    }
  });
});
