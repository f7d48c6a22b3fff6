/**
 * Domain claims cannot be squatted or enumerated: an unverified claim blocks nobody, the first
 * account to verify owns the name (and receives its mail), and a claim answers the same whether the
 * name is free or held by another account.
 */
import type { Resolver } from '@e2a/relay';
import { buildMessage, createFakeResolver, type Zone } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

type Domain = { name: string; shared: boolean; verified: boolean; verified_at: string | null; created_at: string; dns_records: Array<{ type: string; name: string; value: string; purpose: string }> };
const post = (body?: unknown) => ({ method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const tokenOf = (d: Domain) => d.dns_records.find((r) => r.name.startsWith('_e2a.'))!.value;

describe.each(ENGINES)('domain claims (%s)', (engine) => {
  let gw: TestGateway;
  const zone: Zone = {};
  const resolver: Resolver = (name, type) => createFakeResolver(zone)(name, type);
  let keyB: string;
  let keyC: string;
  const as = (key: string | undefined) => ({
    claim: async (name: string) => gw.api('/v1/domains', { ...post({ name }), key }),
    verify: async (name: string) => gw.api(`/v1/domains/${name}/verify`, { method: 'POST', key }),
    agent: async (body: unknown) => gw.api('/v1/agents', { ...post(body), key }),
  });

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver, env: { E2A_OUTBOUND_SMTP_MODE: 'none' } });
    keyB = (await gw.gateway.accounts.bootstrap('owner-b@example.net')).apiKey.key;
    keyC = (await gw.gateway.accounts.bootstrap('curious-c@example.net')).apiKey.key;
  });
  afterAll(() => gw?.close());

  it("an unverified claim does not block the real owner, who verifies, hosts agents and receives the domain's mail", async () => {
    const A = as(undefined);
    const B = as(keyB);
    const squat = await A.claim('squatted.example');
    expect(squat.status).toBe(201);
    const claimA = (await squat.json()) as Domain;

    const real = await B.claim('squatted.example');
    expect(real.status).toBe(201);
    const claimB = (await real.json()) as Domain;
    expect(tokenOf(claimB)).not.toBe(tokenOf(claimA));

    zone['_e2a.squatted.example'] = { TXT: [tokenOf(claimB)] };
    const verified = await B.verify('squatted.example');
    expect(verified.status).toBe(200);
    expect(((await verified.json()) as Domain).verified).toBe(true);
    expect((await B.agent({ address: 'bot@squatted.example' })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'alice@example.org', ['bot@squatted.example'], buildMessage({ to: 'bot@squatted.example', subject: 'for the real owner', messageId: 'squat-1@example.org' }));
    const inbox = (await (await gw.api('/v1/agents/bot@squatted.example/messages', { key: keyB })).json()) as { items: Array<{ subject: string }> };
    expect(inbox.items.map((m) => m.subject)).toEqual(['for the real owner']);

    // The squatter's claim stays pending and gives it nothing.
    const pending = (await (await gw.api('/v1/domains/squatted.example')).json()) as Domain;
    expect(pending.verified).toBe(false);
    expect((await A.agent({ address: 'spy@squatted.example' })).status).toBe(422);
    expect((await A.verify('squatted.example')).status).toBe(422);
    // Only someone who controls the DNS learns the name is taken here.
    zone['_e2a.squatted.example'] = { TXT: [tokenOf(claimB), tokenOf(claimA)] };
    const late = await A.verify('squatted.example');
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { message: string } }).error.message).toMatch(/already verified by another account/);
    // Deleting the pending claim neither counts nor touches the owner's agents.
    expect((await gw.api('/v1/domains/squatted.example', { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api('/v1/domains/squatted.example', { key: keyB })).status).toBe(200);
    expect((await gw.api('/v1/agents/bot@squatted.example', { key: keyB })).status).toBe(200);
  });

  it("claiming answers the same for a free name and for one another account verified", async () => {
    const B = as(keyB);
    const C = as(keyC);
    expect((await B.claim('owned.example')).status).toBe(201);
    zone['_e2a.owned.example'] = { TXT: [tokenOf((await (await gw.api('/v1/domains/owned.example', { key: keyB })).json()) as Domain)] };
    expect((await B.verify('owned.example')).status).toBe(200);
    expect((await B.agent({ address: 'sales@owned.example' })).status).toBe(201);

    const shape = async (res: Response, name: string) => {
      const body = (await res.json()) as Domain;
      return {
        status: res.status,
        body: {
          ...body,
          created_at: 'T',
          dns_records: body.dns_records.map((r) => ({ ...r, name: r.name.replace(name, 'NAME'), value: r.value.replace(/^e2a-verify=.+$/, 'TOKEN') })),
          name: body.name.replace(name, 'NAME'),
        },
      };
    };
    const taken = await shape(await C.claim('owned.example'), 'owned.example');
    const free = await shape(await C.claim('free.example'), 'free.example');
    expect(taken).toEqual(free);
    expect(taken.status).toBe(201);
    // An account's repeated claim returns its own claim.
    const repeat = await C.claim('free.example');
    expect(repeat.status).toBe(200);
    expect((await shape(repeat, 'free.example')).body).toEqual(free.body);
  });

  it('two accounts verifying one name at once: exactly one owns it', async () => {
    const B = as(keyB);
    const C = as(keyC);
    const tokens = await Promise.all([B.claim('race.example'), C.claim('race.example')].map(async (r) => tokenOf((await (await r).json()) as Domain)));
    zone['_e2a.race.example'] = { TXT: tokens };
    const results = await Promise.all([B.verify('race.example'), C.verify('race.example')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const rows = await gw.gateway.database.db.selectFrom('domains').select('user_id').where('name', '=', 'race.example').where('verified_at', 'is not', null).execute();
    expect(rows).toHaveLength(1);
  });
});
