/**
 * Contacts over real HTTP and SMTP, on each engine: the request and its code, approval (wrong,
 * dead and expired codes), both sides' listings, the inbound gate's `contacts` policy for local
 * and outside senders, revocation, the pending cap, enumeration resistance, tenant isolation, and
 * the MCP tools through a real client on /mcp. Time moves with the injected clock.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { buildMessage, createFakeResolver, generateDkimKey, signMessage } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';

type Json = Record<string, any>;

const at = (local: string) => `${local}@${TEST_DOMAIN}`;
const dkim = generateDkimKey('example.com', 'sel1');
const zone = {
  'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  [dkim.dnsName]: { TXT: [dkim.txt] },
  '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] },
};

describe.each(ENGINES)('contacts (%s)', (engine) => {
  let gw: TestGateway;
  const clock = new TestClock();
  /** Account A is the test user's; B and C are other tenants. */
  let keyB: string;
  let keyC: string;
  let n = 0;

  const ok = async (res: Response | Promise<Response>, status = 200): Promise<Json> => {
    const r = await res;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return text ? (JSON.parse(text) as Json) : {};
  };
  const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
  const agent = async (local: string, key?: string) => (await ok(post('/v1/agents', { local_part: local }, key), 201)).address as string;
  const agentKey = async (address: string, key?: string) => (await ok(post('/v1/account/api-keys', { scope: 'agent', agent_address: address }, key), 201)).key as string;
  const request = (from: string, body: unknown, key?: string) => post(`/v1/agents/${from}/contacts`, body, key);
  const approve = (address: string, id: string, body: unknown, key?: string) => post(`/v1/agents/${address}/contacts/${id}/approve`, body, key);
  const revoke = (address: string, id: string, key?: string) => gw.api(`/v1/agents/${address}/contacts/${id}`, { method: 'DELETE', ...(key ? { key } : {}) });
  const list = async (address: string, query = '', key?: string) => (await ok(gw.api(`/v1/agents/${address}/contacts${query}`, key ? { key } : {}))).items as Json[];
  const events = async (type: string, key?: string) => (await ok(gw.api(`/v1/events?type=${type}`, key ? { key } : {}))).items as Json[];
  const protect = async (address: string, inbound: unknown, key?: string) => ok(gw.api(`/v1/agents/${address}/protection`, { method: 'PUT', body: JSON.stringify({ inbound }), ...(key ? { key } : {}) }));

  /** A local send from `from` to `to` (account key `key`); resolves with the recipient's stored copy. */
  const sendLocal = async (from: string, to: string, key?: string) => {
    const subject = `local ${++n}`;
    expect((await post(`/v1/agents/${from}/messages`, { to: [to], subject, text: 'hello' }, key)).status).toBeLessThan(300);
    return copyOf(subject);
  };
  const copyOf = (subject: string) =>
    until(`the copy of "${subject}"`, () =>
      gw.gateway.database.db.selectFrom('messages').select(['status', 'held', 'verified']).where('subject', '=', subject).where('direction', '=', 'inbound').executeTakeFirst(),
    );
  /**
   * Mail from outside over SMTP: DKIM-signed for example.com (DMARC passes), or a forged From: not
   * signed, from another envelope domain, so neither DKIM nor SPF aligns and DMARC fails.
   */
  const sendOutside = async (from: string, to: string, signed: boolean) => {
    const subject = `outside ${++n}`;
    const raw = buildMessage({ from, to, subject, messageId: `c-${n}@example.com` });
    await deliver(gw.gateway.smtpPort, signed ? from : 'bounce@forger.example', [to], signed ? await signMessage(raw, dkim) : raw);
    return copyOf(subject);
  };

  beforeAll(async () => {
    // Our own domain's DMARC lookup fails: local mail must not need DNS to count as a contact.
    gw = await startTestGateway({ engine, clock, resolver: createFakeResolver(zone, { fail: { [`_dmarc.${TEST_DOMAIN}`]: 'ESERVFAIL' } }) });
    keyB = (await gw.gateway.accounts.bootstrap('b@example.com')).apiKey.key;
    keyC = (await gw.gateway.accounts.bootstrap('c@example.com')).apiKey.key;
  });
  afterAll(() => gw?.close());

  it('answers every address alike; the code goes to the requester only; the target account hears of it', async () => {
    const asker = await agent('asker');
    const target = await agent('target', keyB);
    const targetKey = await agentKey(target, keyB);
    const askerKey = await agentKey(asker);
    const toTarget = await ok(request(asker, { address: target.toUpperCase(), note: 'invoice bot of A' }, askerKey), 202);
    const toNobody = await ok(request(asker, { address: at('nobody') }, askerKey), 202);
    const toOutside = await ok(request(asker, { address: 'someone@elsewhere.example' }, askerKey), 202);
    for (const answer of [toTarget, toNobody, toOutside]) {
      expect(Object.keys(answer).sort()).toEqual(['code', 'code_expires_at', 'id', 'state']);
      expect(answer.state).toBe('pending');
      expect(answer.code).toMatch(/^[A-HJKMNP-TV-Z2-9]{4}-[A-HJKMNP-TV-Z2-9]{4}$/);
    }
    // The target's side lists the request, and its account gets contact.requested: never the code.
    const incoming = await list(target, '?direction=incoming', targetKey);
    expect(incoming).toEqual([expect.objectContaining({ id: toTarget.id, address: target, peer_address: asker, direction: 'incoming', state: 'pending', note: 'invoice bot of A' })]);
    const requested = (await events('contact.requested', keyB)).filter((e) => e.data.contact_id === toTarget.id);
    expect(requested).toEqual([expect.objectContaining({ data: expect.objectContaining({ agent_address: target, requester_address: asker, peer_address: target }) })]);
    expect(JSON.stringify({ incoming, requested })).not.toContain(toTarget.code);
    // Account-level: not on the target agent's own feed.
    expect(await events('contact.requested', targetKey)).toEqual([]);
    const outgoing = await list(asker, '?direction=outgoing&state=pending', askerKey);
    expect(outgoing.map((c) => c.peer_address).sort()).toEqual([at('nobody'), target, 'someone@elsewhere.example'].sort());
    expect(JSON.stringify(outgoing)).not.toContain(toTarget.code);
    // At most three pending: the fourth is refused until one goes.
    const fourth = await ok(request(asker, { address: at('fourth') }, askerKey), 409);
    expect(fourth.error.message).toContain('max_pending_per_agent');
    await ok(revoke(asker, toNobody.id, askerKey), 204);
    await ok(request(asker, { address: at('fourth') }, askerKey), 202);
  });

  it('approves with the code only: wrong codes count, five kill the request, an expired code is refused', async () => {
    const asker = await agent('asker2');
    const target = await agent('target2', keyB);
    const targetKey = await agentKey(target, keyB);
    const askerKey = await agentKey(asker);

    const dead = await ok(request(asker, { address: target }, askerKey), 202);
    expect((await ok(approve(target, dead.id, {}, targetKey), 422)).error.message).toContain('code');
    // The requester cannot approve its own request, with or without the code.
    await ok(approve(asker, dead.id, { code: dead.code }, askerKey), 403);
    for (let left = 4; left >= 1; left--) expect((await ok(approve(target, dead.id, { code: 'AAAA-AAAA' }, targetKey), 403)).error.message).toContain(`${left} attempt(s) left`);
    await ok(approve(target, dead.id, { code: 'AAAA-AAAA' }, targetKey), 410);
    await ok(approve(target, dead.id, { code: dead.code }, targetKey), 410);
    expect((await list(target, '', targetKey)).find((c) => c.id === dead.id)?.state).toBe('failed');

    const late = await ok(request(asker, { address: target }, askerKey), 202);
    clock.advance(61 * 60_000);
    await ok(approve(target, late.id, { code: late.code }, targetKey), 410);
    expect((await list(asker, '?state=expired', askerKey)).map((c) => c.id)).toContain(late.id);

    const good = await ok(request(asker, { address: target, expires_at: new Date(clock.now().getTime() + 7_200_000).toISOString() }, askerKey), 202);
    // Case, spaces and the dash do not matter.
    const approved = await ok(approve(target, good.id, { code: ` ${good.code.replace('-', '').toLowerCase()} ` }, targetKey));
    expect(approved).toMatchObject({ id: good.id, direction: 'incoming', state: 'active', peer_address: asker });
    expect(await list(asker, '?state=active', askerKey)).toEqual([expect.objectContaining({ id: good.id, direction: 'outgoing', state: 'active', peer_address: target })]);
    await ok(gw.api(`/v1/agents/${target}/contacts`), 404); // account A does not own target
    expect((await list(target, '?state=active', keyB)).map((c) => c.id)).toEqual([good.id]);
    for (const key of [gw.apiKey, keyB]) expect((await events('contact.approved', key)).some((e) => e.data.contact_id === good.id)).toBe(true);
    await ok(approve(target, good.id, { code: good.code }, targetKey), 409);
    // The grant's own expiry.
    clock.advance(7_300_000);
    expect((await list(target, `?state=expired`, targetKey)).map((c) => c.id)).toContain(good.id);
  });

  it('the contacts gate: a granted local agent passes without DNS, both ways; others get the action; revoking ends it', async () => {
    const asker = await agent('asker3');
    const third = await agent('third3');
    const target = await agent('target3', keyB);
    const req = await ok(request(asker, { address: target }), 202);
    // The target's account key approves without the code.
    await ok(approve(target, req.id, {}, keyB));
    await protect(target, { policy: 'contacts', action: 'review' }, keyB);
    await protect(asker, { policy: 'contacts', action: 'block' });

    // DMARC could not verify it (our domain's record lookup fails), yet the grant counts.
    expect(await sendLocal(asker, target)).toMatchObject({ status: 'received', held: false, verified: false });
    expect(await sendLocal(target, asker, keyB)).toMatchObject({ status: 'received', held: false });
    expect(await sendLocal(third, target)).toMatchObject({ status: 'held', held: true });
    const review = (await ok(gw.api('/v1/reviews?direction=inbound&status=pending', { key: keyB }))).items as Json[];
    expect(review.map((r) => r.reasons).flat()).toContain(`sender ${third} is not a contact of ${target}`);

    // Either side revokes: the other side's mail no longer passes.
    await ok(revoke(target, req.id, keyB), 204);
    expect(await sendLocal(asker, target)).toMatchObject({ status: 'held' });
    expect(await sendLocal(target, asker, keyB)).toMatchObject({ status: 'blocked' });
    expect((await list(asker, '?state=revoked')).map((c) => c.id)).toContain(req.id);
    for (const key of [gw.apiKey, keyB]) expect((await events('contact.revoked', key)).some((e) => e.data.contact_id === req.id)).toBe(true);
  });

  it('an outside contact: approved by the requesting account, and counted only when DMARC verified the sender', async () => {
    const bot = await agent('bot4');
    const botKey = await agentKey(bot);
    const req = await ok(request(bot, { address: 'alice@example.com' }, botKey), 202);
    // Nobody here speaks for alice: the requester's account approves; its agent key cannot.
    await ok(approve(bot, req.id, { code: req.code }, botKey), 403);
    await ok(approve(bot, req.id, {}));
    await protect(bot, { policy: 'contacts', action: 'review' });

    expect(await sendOutside('alice@example.com', bot, true)).toMatchObject({ status: 'received' });
    expect(await sendOutside('alice@example.com', bot, false)).toMatchObject({ status: 'held' });
    expect(await sendOutside('eve@example.com', bot, true)).toMatchObject({ status: 'held' });
    await ok(revoke(bot, req.id, botKey), 204);
    expect(await sendOutside('alice@example.com', bot, true)).toMatchObject({ status: 'held' });
    // The outbound gate has no contacts policy.
    await ok(gw.api(`/v1/agents/${bot}/protection`, { method: 'PUT', body: JSON.stringify({ outbound: { policy: 'contacts' } }) }), 422);
  });

  it('another tenant sees nothing and acts on nothing: the same 404 as an unknown id', async () => {
    const asker = await agent('asker5');
    const target = await agent('target5', keyB);
    const req = await ok(request(asker, { address: target }), 202);
    const nosy = await agent('nosy', keyC);
    const message = async (res: Promise<Response>, id: string) => {
      const body = await ok(res, 404);
      return (body.error.message as string).replace(id, 'ID');
    };
    const unknown = 'cnt_01doesnotexist';
    for (const [res, resUnknown] of [
      [gw.api(`/v1/agents/${nosy}/contacts/${req.id}`, { key: keyC }), gw.api(`/v1/agents/${nosy}/contacts/${unknown}`, { key: keyC })],
      [approve(nosy, req.id, {}, keyC), approve(nosy, unknown, {}, keyC)],
      [revoke(nosy, req.id, keyC), revoke(nosy, unknown, keyC)],
    ] as const) {
      expect(await message(res, req.id)).toBe(await message(resUnknown, unknown));
    }
    // Other agents' paths are the unknown agent's 404.
    await ok(gw.api(`/v1/agents/${target}/contacts`, { key: keyC }), 404);
    await ok(approve(target, req.id, {}, keyC), 404);
    await ok(revoke(asker, req.id, keyC), 404);
    expect(await list(nosy, '', keyC)).toEqual([]);
    // The request stands untouched.
    expect((await list(target, '', keyB)).find((c) => c.id === req.id)?.state).toBe('pending');
  });

  it('request_contact and approve_contact over MCP', async () => {
    const asker = await agent('asker6');
    const target = await agent('target6', keyB);
    const connect = async (key: string) => {
      const client = new Client({ name: 'contacts-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      return client;
    };
    const textOf = (result: Json) => (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
    const askerMcp = await connect(await agentKey(asker));
    const targetMcp = await connect(await agentKey(target, keyB));
    try {
      const requested = await askerMcp.callTool({ name: 'request_contact', arguments: { address: target, note: 'hello from MCP' } });
      expect(requested.isError).toBeFalsy();
      const { id, code } = JSON.parse((requested.content as Array<{ text: string }>)[1]!.text) as { id: string; code: string };
      const listed = await targetMcp.callTool({ name: 'list_contacts', arguments: { direction: 'incoming' } });
      expect(textOf(listed)).toContain(id);
      expect(textOf(listed)).not.toContain(code);
      const wrong = await targetMcp.callTool({ name: 'approve_contact', arguments: { id, code: 'AAAA-AAAA' } });
      expect(wrong.isError).toBe(true);
      expect(textOf(wrong)).toContain('wrong code');
      const approved = await targetMcp.callTool({ name: 'approve_contact', arguments: { id, code } });
      expect(approved.isError, textOf(approved)).toBeFalsy();
      expect(textOf(approved)).toContain('"state": "active"');
    } finally {
      await askerMcp.close();
      await targetMcp.close();
    }
  });
});
