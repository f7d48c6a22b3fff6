/**
 * Each account signs its X-E2A-Auth-* claims with its own key: one account's key never verifies
 * another's claims, agent keys may read their account's key but not rotate it, a rotation keeps the
 * previous key verifying for 24 hours and then not, and the key is sealed at rest.
 */
import { AUTH_CLAIM_VECTOR, CLAIM_HEADERS, verifyAuthClaims, type ClaimsKey } from '@e2a/sdk';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaimsSigner } from '../messages/claims.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { ROTATION_OVERLAP_MS } from '../webhooks/signing-secrets.js';

const post = (body?: unknown) => ({ method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe.each(ENGINES)('account claims keys (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  let keyB: string;
  let agentKeyA: string;
  const a = `alpha@${TEST_DOMAIN}`;
  const b = `beta@${TEST_DOMAIN}`;

  /** The newest message of `agent` as GET returns it (claims signed now), with the bytes they cover. */
  async function claimsOf(agent: string, key?: string): Promise<{ headers: Record<string, string>; signedAt: Date }> {
    const list = (await (await gw.api(`/v1/agents/${agent}/messages`, { key })).json()) as { items: Array<{ id: string }> };
    const message = (await (await gw.api(`/v1/agents/${agent}/messages/${list.items[0]!.id}`, { key })).json()) as { auth_claims: Record<string, string> };
    return { headers: message.auth_claims, signedAt: new Date(message.auth_claims[CLAIM_HEADERS.timestamp]!) };
  }
  const claimsKey = async (key?: string) => (await (await gw.api('/v1/account/claims-key', { key })).json()) as ClaimsKey;

  beforeAll(async () => {
    gw = await startTestGateway({ engine, clock, resolver: createFakeResolver({}) });
    keyB = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
    expect((await gw.api('/v1/agents', post({ local_part: 'alpha' }))).status).toBe(201);
    expect((await gw.api('/v1/agents', { ...post({ local_part: 'beta' }), key: keyB })).status).toBe(201);
    const scoped = await gw.api('/v1/account/api-keys', post({ name: 'alpha only', scope: 'agent', agent_address: a }));
    agentKeyA = ((await scoped.json()) as { key: string }).key;
    for (const to of [a, b]) await deliver(gw.gateway.smtpPort, 'mallory@example.org', [to], buildMessage({ to, subject: `for ${to}`, messageId: `${to}-1@example.org` }));
  });
  afterAll(() => gw?.close());

  it("verifies an account's claims with its own key only, never with another account's", async () => {
    const ka = await claimsKey();
    const kb = await claimsKey(keyB);
    expect(ka.key).toMatch(/^e2aclaims_[A-Za-z0-9_-]{43}$/);
    expect(kb.key).not.toBe(ka.key);
    const claimsA = await claimsOf(a);
    const claimsB = await claimsOf(b, keyB);
    await expect(verifyAuthClaims(claimsA.headers, ka.verification_keys, { now: claimsA.signedAt })).resolves.toMatchObject({ verified: false });
    await expect(verifyAuthClaims(claimsB.headers, kb.verification_keys, { now: claimsB.signedAt })).resolves.toBeTruthy();
    await expect(verifyAuthClaims(claimsA.headers, kb.verification_keys, { now: claimsA.signedAt })).rejects.toMatchObject({ reason: 'bad_signature' });
    await expect(verifyAuthClaims(claimsB.headers, ka.verification_keys, { now: claimsB.signedAt })).rejects.toMatchObject({ reason: 'bad_signature' });
    // The gateway-wide secret signs nobody's claims.
    await expect(verifyAuthClaims(claimsA.headers, gw.gateway.secrets.hmacSecret, { now: claimsA.signedAt })).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('lets an agent key read its account key (agents verify) but not rotate it', async () => {
    const viaAgent = await claimsKey(agentKeyA);
    expect(viaAgent.key).toBe((await claimsKey()).key);
    const claimsA = await claimsOf(a, agentKeyA);
    await expect(verifyAuthClaims(claimsA.headers, viaAgent.verification_keys, { now: claimsA.signedAt })).resolves.toBeTruthy();
    const rotate = await gw.api('/v1/account/claims-key/rotate', { method: 'POST', key: agentKeyA });
    expect(rotate.status).toBe(403);
    expect(((await rotate.json()) as { error: { message: string } }).error.message).toMatch(/use an account key/);
    expect((await gw.api('/v1/account/claims-key', { key: null })).status).toBe(401);
  });

  it('keeps the previous key verifying for the rotation window, then not', async () => {
    const before = await claimsKey();
    const oldClaims = await claimsOf(a);
    const rotated = (await (await gw.api('/v1/account/claims-key/rotate', { method: 'POST' })).json()) as ClaimsKey;
    expect(rotated.key).not.toBe(before.key);
    expect(rotated.previous_key).toBe(before.key);
    expect(rotated.verification_keys).toEqual([rotated.key, before.key]);
    expect(Date.parse(rotated.previous_key_expires_at!) - clock.now().getTime()).toBeGreaterThan(ROTATION_OVERLAP_MS - 60_000);
    // New claims are signed with the new key at once; claims signed before still verify.
    const newClaims = await claimsOf(a);
    await expect(verifyAuthClaims(newClaims.headers, rotated.key, { now: newClaims.signedAt })).resolves.toBeTruthy();
    await expect(verifyAuthClaims(newClaims.headers, before.key, { now: newClaims.signedAt })).rejects.toMatchObject({ reason: 'bad_signature' });
    await expect(verifyAuthClaims(oldClaims.headers, rotated.verification_keys, { now: oldClaims.signedAt })).resolves.toBeTruthy();
    // Another account's key is untouched.
    expect((await claimsKey(keyB)).previous_key).toBeNull();

    clock.advance(ROTATION_OVERLAP_MS + 1000);
    const after = await claimsKey();
    expect(after).toMatchObject({ key: rotated.key, previous_key: null, previous_key_expires_at: null, verification_keys: [rotated.key] });
    await expect(verifyAuthClaims(oldClaims.headers, after.verification_keys, { now: oldClaims.signedAt })).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('stores the key sealed, and makes one for an account that has none on first use', async () => {
    const { key } = await claimsKey();
    const rows = await gw.gateway.database.db.selectFrom('account_claims_keys').selectAll().where('user_id', '=', gw.userId).execute();
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.secret).includes(Buffer.from(key))).toBe(false);
    expect(Buffer.from(rows[0]!.secret).includes(Buffer.from(key.slice('e2aclaims_'.length), 'base64url'))).toBe(false);
    // An account as it was before keys existed: its key is made when its mail is first read.
    const fresh = await gw.gateway.accounts.bootstrap('fresh@example.com');
    expect(await gw.gateway.database.db.selectFrom('account_claims_keys').select('user_id').where('user_id', '=', fresh.userId).executeTakeFirst()).toBeUndefined();
    expect((await gw.api('/v1/agents', { ...post({ local_part: 'fresh' }), key: fresh.apiKey.key })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'mallory@example.org', [`fresh@${TEST_DOMAIN}`], buildMessage({ to: `fresh@${TEST_DOMAIN}`, subject: 'first', messageId: 'fresh-1@example.org' }));
    const claims = await claimsOf(`fresh@${TEST_DOMAIN}`, fresh.apiKey.key);
    const freshKey = await claimsKey(fresh.apiKey.key);
    await expect(verifyAuthClaims(claims.headers, freshKey.verification_keys, { now: claims.signedAt })).resolves.toBeTruthy();
  });
});

describe('claims signer', () => {
  it("signs with the key of the account that owns the mailbox, and still gives the fixed vector", async () => {
    const v = AUTH_CLAIM_VECTOR;
    const keys: Record<string, string> = { usr_a: v.secret, usr_b: 'another-account-key' };
    const signer = createClaimsSigner({ keys: { signingKey: async (id) => keys[id]! }, clock: { now: () => new Date(v.claims.timestamp) } });
    const input = {
      messageId: v.claims.messageId,
      raw: Buffer.from('test'),
      senderIsAgent: false,
      authentication: {
        spf: { status: 'pass' as const, domain: 'example.com', aligned: true },
        dkim: [],
        dmarc: { status: 'pass' as const, domain: 'example.com', policy: 'reject' },
        arc: { status: 'none' as const },
        verified: true,
        sender: 'alice@example.com',
      },
    };
    expect((await signer.sign({ ...input, accountId: 'usr_a' }))[CLAIM_HEADERS.signature]).toBe(v.signature);
    expect((await signer.sign({ ...input, accountId: 'usr_b' }))[CLAIM_HEADERS.signature]).not.toBe(v.signature);
  });
});
