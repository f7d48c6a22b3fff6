import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Event } from '../wire/index.js';
import { constructEvent, signTestWebhook } from './construct-event.js';

const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const event: Event = {
  id: 'evt_0123456789abcdef0123456789abcdef',
  type: 'email.received',
  schema_version: 1,
  created_at: '2026-01-02T03:04:05.000Z',
  data: { message_id: 'msg_1', agent_address: 'bot@agents.test', conversation_id: 'conv_1', direction: 'inbound', from: 'a@example.com', to: ['bot@agents.test'], subject: 'hi', verified: true, priority: 'normal' },
};

describe('constructEvent and the test signer', () => {
  it('verifies what signTestWebhook signs, and so does the standardwebhooks library', () => {
    const { body, headers } = signTestWebhook(event, secret);
    expect(constructEvent(body, headers, secret)).toEqual(event);
    expect(new Webhook(secret).verify(body, headers as unknown as Record<string, string>)).toEqual(event);
  });

  it('says how to fix each mistake', () => {
    const { body, headers } = signTestWebhook(event, secret);
    expect(() => constructEvent(body, headers, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toThrow(/signature mismatch/);
    expect(() => constructEvent(body, { ...headers, 'webhook-signature': undefined }, secret)).toThrow(/webhook-signature is missing/);
    expect(() => constructEvent(body, headers, 'not-a-secret')).toThrow(/whsec_/);
    const old = signTestWebhook(event, secret, new Date(Date.now() - 10 * 60_000));
    expect(() => constructEvent(old.body, old.headers, secret)).toThrow(/tolerance.*clock/);
    expect(() => constructEvent(body, headers, [`whsec_${Buffer.alloc(32, 2).toString('base64')}`, secret])).not.toThrow();
  });
});
