/**
 * POST /v1/webhooks/{id}/test dials from the request, through the gateway's resolver: its error must
 * not become a probe of the operator's network. A name that resolves to a private address gets no
 * IP literal back, and the same answer as a name that does not resolve at all.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedAddress } from '../net/guarded-lookup.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';

/** Names as the operator's internal DNS would answer them. */
const INTERNAL: Record<string, string[]> = {
  'db.intranet.example': ['10.0.0.5'],
  'metadata.intranet.example': ['169.254.169.254'],
  'v6.intranet.example': ['fd12:3456::7'],
  'both.intranet.example': ['192.168.1.20', 'fe80::1'],
};
const IP_LITERAL = /\b\d{1,3}(?:\.\d{1,3}){3}\b|[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}/i;

describe.each(ENGINES)('webhook test errors (%s)', (engine) => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      webhookHostResolver: async (host): Promise<ResolvedAddress[]> => {
        const answers = INTERNAL[host];
        if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
      env: { E2A_WEBHOOKS_TIMEOUT_MS: '3000' },
    });
  });
  afterAll(() => gw?.close());

  async function testError(host: string): Promise<string> {
    const created = await gw.api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: `https://${host}/hook` }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const res = await gw.api(`/v1/webhooks/${id}/test`, { method: 'POST' });
    expect(res.status).toBe(200);
    const result = (await res.json()) as { success: boolean; status: number | null; error: string };
    expect(result).toMatchObject({ success: false, status: null });
    return result.error;
  }

  it('never echoes the address a name resolved to, nor tells a private name from a missing one', async () => {
    const missing = await testError('nothing.intranet.example');
    expect(missing).toBe(
      'refused to connect to nothing.intranet.example: it does not resolve to a public address, and webhook targets must be public (webhooks.allow_private_targets is off)',
    );
    for (const host of Object.keys(INTERNAL)) {
      const error = await testError(host);
      expect(error, host).not.toMatch(IP_LITERAL);
      expect(error, host).toBe(missing.replace('nothing.intranet.example', host));
    }
  });
});
