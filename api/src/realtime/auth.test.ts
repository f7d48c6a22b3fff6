import { createFakeResolver } from '@e2a/relay/testing';
import { CLOSE } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { TestListener } from './test-listener.js';

describe.each(ENGINES)('WebSocket authentication (%s)', (engine) => {
  let gw: TestGateway;
  const bot = `bot@${TEST_DOMAIN}`;
  const other = `other@${TEST_DOMAIN}`;
  let otherAgentKey: string;

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_REALTIME_AUTH_TIMEOUT_MS: '300' } });
    for (const local_part of ['bot', 'other']) {
      expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part }) })).status).toBe(201);
    }
    const created = await gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ scope: 'agent', agent_address: other }) });
    expect(created.status).toBe(201);
    otherAgentKey = (await created.json()).key;
  });
  afterAll(() => gw?.close());

  const connect = (opts: { key?: string; query?: string } = {}, address = bot) => TestListener.connect(gw.gateway.httpUrl, address, opts);

  it('accepts an Authorization: Bearer header on the upgrade', async () => {
    const l = await connect({ key: gw.apiKey });
    await l.ready();
    expect(l.frames[0]).toMatchObject({ type: 'ready', agent: { address: bot } });
    await l.close();
  });

  it('accepts a first auth frame (clients that cannot set headers)', async () => {
    const l = await connect();
    l.send({ type: 'auth', token: gw.apiKey });
    await l.ready();
    await l.close();
  });

  it('accepts the agent key of that agent', async () => {
    const l = await connect({ key: otherAgentKey }, other);
    await l.ready();
    await l.close();
  });

  it('closes with authTimeout when no credential arrives in time', async () => {
    const l = await connect();
    expect(await l.closed).toMatchObject({ code: CLOSE.authTimeout });
  });

  it('closes with authFailed on an unknown key, by header or by frame', async () => {
    const byHeader = await connect({ key: 'e2a_not-a-real-key' });
    expect(await byHeader.closed).toEqual({ code: CLOSE.authFailed, reason: 'unknown API key' });
    const byFrame = await connect();
    byFrame.send({ type: 'auth', token: 'sk_wrong_prefix' });
    expect((await byFrame.closed).code).toBe(CLOSE.authFailed);
  });

  it('refuses a credential in the URL, even a valid one', async () => {
    for (const query of [`?token=${gw.apiKey}`, '?key=x', `?after=${gw.apiKey}`]) {
      const l = await connect({ query });
      const closed = await l.closed;
      expect(closed.code).toBe(CLOSE.credentialInUrl);
      expect(closed.reason).toContain('Authorization: Bearer');
    }
  });

  it("closes with notFound for another agent's key, another user's key and an unknown agent", async () => {
    const foreignAgentKey = await connect({ key: otherAgentKey }, bot);
    expect((await foreignAgentKey.closed).code).toBe(CLOSE.notFound);
    const stranger = await gw.gateway.accounts.bootstrap('stranger@example.com');
    const foreignUser = await connect({ key: stranger.apiKey.key });
    expect((await foreignUser.closed).code).toBe(CLOSE.notFound);
    const missing = await connect({ key: gw.apiKey }, `nobody@${TEST_DOMAIN}`);
    expect((await missing.closed).code).toBe(CLOSE.notFound);
  });

  it('closes with badFrame when the first frame is not auth', async () => {
    const notJson = await connect();
    notJson.send('hello');
    expect((await notJson.closed).code).toBe(CLOSE.badFrame);
    const ackFirst = await connect();
    ackFirst.send({ type: 'ack', event_id: 'evt_x' });
    expect((await ackFirst.closed).code).toBe(CLOSE.badFrame);
  });

  it('answers malformed frames and foreign acks with error frames and stays open', async () => {
    const l = await connect({ key: gw.apiKey });
    await l.ready();
    l.send('{not json');
    l.send({ type: 'ack', event_id: 'evt_does_not_exist' });
    l.send({ type: 'resume', after: 'evt_does_not_exist' });
    l.send({ type: 'auth', token: gw.apiKey });
    await l.until((f) => f.filter((x) => x.type === 'error').length === 4, 'four error frames');
    expect(l.frames.filter((x) => x.type === 'error').map((x) => x.type === 'error' && x.code)).toEqual([
      'bad_frame',
      'unknown_event',
      'unknown_event',
      'already_authenticated',
    ]);
    expect(l.ws.readyState).toBe(l.ws.OPEN);
    await l.close();
  });

  it('answers other upgrade paths with 404', async () => {
    await expect(TestListener.connect(gw.gateway.httpUrl, bot, { query: '/../../nope' })).rejects.toThrow(/404/);
  });
});
