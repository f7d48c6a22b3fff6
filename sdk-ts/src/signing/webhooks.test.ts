import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WebhookSignatureError } from './webhooks.js';

/** The Standard Webhooks 1.0 specification's own example. */
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const at = new Date(SPEC.timestamp * 1000);

describe('Standard Webhooks signing', () => {
  it('matches the specification vector', () => {
    expect(signWebhook([SPEC.secret], SPEC.id, at, SPEC.body)).toEqual({
      'webhook-id': SPEC.id,
      'webhook-timestamp': String(SPEC.timestamp),
      'webhook-signature': SPEC.signature,
    });
  });

  it('verifies the vector with verifyWebhook (injected now) and rejects a changed body', () => {
    const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature };
    expect(verifyWebhook(SPEC.body, headers, SPEC.secret, { now: at })).toEqual({ test: 2432232314 });
    expect(() => verifyWebhook('{"test":2432232314}', headers, SPEC.secret, { now: at })).toThrow(/raw request body/);
    expect(() => verifyWebhook(SPEC.body, headers, SPEC.secret, { now: new Date(at.getTime() + 3600_000) })).toThrow(WebhookSignatureError);
  });

  it('signs with two secrets during a rotation, and each verifies alone (also with the reference library)', () => {
    const other = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    const now = new Date();
    const headers = signWebhook([other, SPEC.secret], 'evt_1', now, '{"a":1}');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [other, SPEC.secret]) {
      expect(verifyWebhook('{"a":1}', headers, secret)).toEqual({ a: 1 });
      expect(new Webhook(secret).verify('{"a":1}', { ...headers })).toEqual({ a: 1 });
    }
  });
});
