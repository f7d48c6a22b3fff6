/**
 * Review mail and other system mail never go to a domain this gateway serves, so approval links
 * never land in an agent's mailbox: a reviewer on the shared domain or on the caller's own verified
 * domain is refused when set (an agent named as its own reviewer would approve itself); a reviewer
 * on another account's domain is not named as such (that would tell which domains others hold) but
 * is dropped when the mail is sent, as is an account owner whose address is on the shared domain.
 */
import type { Resolver } from '@e2a/relay';
import { createFakeResolver, type Zone } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { startSmtpSink, type SmtpSink, upstreamEnv } from '../testing/smtp-sink.js';
import { until } from '../testing/until.js';

const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });
const put = (body: unknown) => ({ method: 'PUT', body: JSON.stringify(body) });
const HOLD_ALL = { outbound: { policy: 'allowlist', allowlist: [], action: 'review' } };

describe.each(ENGINES)('where review mail may go (%s)', (engine) => {
  let gw: TestGateway;
  let sink: SmtpSink;
  const zone: Zone = {};
  const resolver: Resolver = (name, type) => createFakeResolver(zone)(name, type);
  const bot = `bot@${TEST_DOMAIN}`;

  async function verifyDomain(name: string, key?: string): Promise<void> {
    const claim = (await (await gw.api('/v1/domains', { ...post({ name }), key })).json()) as { dns_records: Array<{ name: string; value: string }> };
    zone[`_e2a.${name}`] = { TXT: [claim.dns_records.find((r) => r.name === `_e2a.${name}`)!.value] };
    expect((await gw.api(`/v1/domains/${name}/verify`, { method: 'POST', key })).status).toBe(200);
  }
  /** Sends as `agent`; its protection holds everything, so a review notification is queued. */
  async function holdOne(agent: string, key?: string): Promise<string> {
    const res = await gw.api(`/v1/agents/${agent}/messages`, { ...post({ to: ['dana@example.com'], subject: 'needs a look', text: 'hello' }), key });
    expect(res.status).toBe(202);
    return ((await res.json()) as { review_id: string }).review_id;
  }
  /** The review notification's system_mail row once the worker has finished with it. */
  const notificationOutcome = (userId: string) =>
    until('the review notification outcome', async () => {
      const row = await gw.gateway.database.db
        .selectFrom('system_mail')
        .select(['status', 'status_reason', 'to_addresses'])
        .where('user_id', '=', userId)
        .where('kind', '=', 'review_requested')
        .executeTakeFirst();
      return row && row.status !== 'queued' && row;
    });

  beforeAll(async () => {
    sink = await startSmtpSink();
    gw = await startTestGateway({
      engine,
      resolver,
      env: {
        ...upstreamEnv(sink),
      },
    });
    expect((await gw.api('/v1/agents', post({ local_part: 'bot' }))).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await sink?.close();
  });

  it('refuses, with the reason, a reviewer on the shared domain or on one of your own domains', async () => {
    const self = await gw.api(`/v1/agents/${bot}/protection`, put({ ...HOLD_ALL, review_notify: [bot] }));
    expect(self.status).toBe(422);
    const body = (await self.json()) as { error: { message: string; details: Array<{ path: string }> } };
    expect(body.error.message).toMatch(/review_notify\[0\]: bot@agents\.test is at agents\.test, a domain this gateway receives mail for.*approve its own mail/);
    expect(body.error.details[0]!.path).toBe('body.review_notify.0');
    expect((await gw.api(`/v1/agents/${bot}/protection`, put({ ...HOLD_ALL, review_notify: ['boss@example.com', `nobody@${TEST_DOMAIN}`] }))).status).toBe(422);

    await verifyDomain('own-a.example');
    expect((await gw.api(`/v1/agents/${bot}/protection`, put({ ...HOLD_ALL, review_notify: ['desk@own-a.example'] }))).status).toBe(422);
    expect((await gw.api(`/v1/agents/${bot}/protection`, put({ ...HOLD_ALL, review_notify: ['boss@example.com'] }))).status).toBe(200);
  });

  it("drops a reviewer on another account's domain when sending, and delivers to the others", async () => {
    const keyB = (await gw.gateway.accounts.bootstrap('tenant-b@example.net')).apiKey.key;
    await verifyDomain('b-corp.example', keyB);
    expect((await gw.api('/v1/agents', { ...post({ address: 'spy@b-corp.example' }), key: keyB })).status).toBe(201);
    // Accepted: refusing it here would tell account A that b-corp.example is held on this gateway.
    expect((await gw.api(`/v1/agents/${bot}/protection`, put({ ...HOLD_ALL, review_notify: ['spy@b-corp.example', 'boss@example.com'] }))).status).toBe(200);

    const reviewId = await holdOne(bot);
    const row = await notificationOutcome(gw.userId);
    expect(row.status).toBe('sent');
    expect(row.status_reason).toMatch(/spy@b-corp\.example is at b-corp\.example, a domain this gateway receives mail for: system mail is never delivered into an agent's mailbox/);
    const sent = sink.messages.filter((m) => m.raw.toString('latin1').includes(reviewId));
    expect(sent.map((m) => m.rcptTo)).toEqual([['boss@example.com']]);
  });

  it('sends no review mail to an account owner whose address is on the shared domain', async () => {
    const owner = await gw.gateway.accounts.bootstrap(`human@${TEST_DOMAIN}`);
    expect((await gw.api('/v1/agents', { ...post({ local_part: 'helper' }), key: owner.apiKey.key })).status).toBe(201);
    expect((await gw.api(`/v1/agents/helper@${TEST_DOMAIN}/protection`, { ...put(HOLD_ALL), key: owner.apiKey.key })).status).toBe(200);
    const reviewId = await holdOne(`helper@${TEST_DOMAIN}`, owner.apiKey.key);
    const row = await notificationOutcome(owner.userId);
    expect(row.status).toBe('failed');
    expect(row.status_reason).toMatch(/human@agents\.test is at agents\.test, a domain this gateway receives mail for/);
    expect(sink.messages.filter((m) => m.raw.toString('latin1').includes(reviewId))).toEqual([]);
    // The review itself is there to decide in the dashboard or the API.
    expect((await gw.api(`/v1/reviews/${reviewId}`, { key: owner.apiKey.key })).status).toBe(200);
  });
});
