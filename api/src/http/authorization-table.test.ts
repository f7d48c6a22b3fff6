/**
 * The authorization table, generated from the served OpenAPI document so that a route added later
 * is in it without anyone remembering to add it: every operation, aimed at tenant A's real objects
 * (its agent, a delivered message and the held, rejected and blocked ones, the conversation, an
 * attachment, a webhook, an API key, a domain claim, a pending review, an event), is sent with each
 * credential that must get nothing:
 *
 *   none                          401
 *   a revoked account key         401
 *   tenant B's account key        404 (B cannot tell A's objects from ones that do not exist)
 *   tenant B's agent key          403 or 404
 *   another agent's key in A      403 or 404
 *   A's own agent key, on every message route, with the id of a message held from it   404
 *
 * Collection routes (no path parameter) answer B with B's own objects: the table reads them and
 * looks for any of A's ids, addresses or subjects. A's account key reading each object first shows
 * the targets exist (a wrong id would make every refusal pass), and after the table they all still
 * exist unchanged: no refused request had an effect.
 */
import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HIDDEN_CASES, makeHiddenMail, type HiddenMail } from '../messages/hidden-mail-fixtures.js';
import { SecretBox } from '../crypto/secret-box.js';
import { Outbox } from '../outbox/outbox.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { until } from '../testing/until.js';

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  /** The OpenAPI template, `/v1/agents/{address}/messages/{id}`. */
  template: string;
  authOptional: boolean;
}

/** A body each operation accepts, so that a refusal is about who asks, not about what they sent. */
const BODIES: Record<string, unknown> = {
  'post /v1/agents': { local_part: 'intruder' },
  'post /v1/agents/{address}/extend': { ttl_seconds: 3600 },
  'patch /v1/agents/{address}': { retention_days: 1 },
  'put /v1/account/retention': { retention_days: 1 },
  'post /v1/account/api-keys': { name: 'intruder' },
  'post /v1/webhooks': { url: 'https://hooks.example.net/e2a', events: ['email.received'] },
  'patch /v1/webhooks/{id}': { description: 'changed by an intruder' },
  'post /v1/webhooks/{id}/deliveries/replay': { status: 'dead' },
  'post /v1/domains': { name: 'intruder.example' },
  'post /v1/agents/{address}/messages': { to: ['partner@example.net'], subject: 'intruder', text: 'x' },
  'post /v1/agents/{address}/messages/{id}/reply': { text: 'x' },
  'post /v1/agents/{address}/messages/{id}/forward': { to: ['partner@example.net'] },
  'patch /v1/agents/{address}/messages/{id}': { read: true },
  'post /v1/agents/{address}/messages/{id}/labels': { add: ['intruder'] },
  'post /v1/agents/{address}/conversations/{id}/labels': { add: ['intruder'] },
  'put /v1/agents/{address}/protection': {},
  'put /v1/agents/{address}/card': { description: 'changed by an intruder', skills: ['intruder'] },
  'post /v1/agents/{address}/contacts': { address: 'intruder@example.net' },
  'post /v1/agents/{address}/drafts': { to: ['partner@example.net'], subject: 'intruder' },
  'put /v1/agents/{address}/drafts/{id}': { subject: 'changed by an intruder' },
  'post /v1/agents/{address}/contacts/{id}/approve': {},
  'post /v1/lists': { local_part: 'intruder-list', post_policy: 'members' },
  'patch /v1/lists/{address}': { description: 'changed by an intruder' },
  'post /v1/lists/{address}/members': { agent_address: `bot@${TEST_DOMAIN}` },
  'post /v1/reviews/{id}/approve': {},
  'post /v1/reviews/{id}/reject': { reason: 'intruder' },
};

/**
 * What an agent key may read of its own account beyond its agent: the account's domains (the
 * addresses it can be given, with the DNS records to publish). Nothing of another tenant's.
 */
const ACCOUNT_READS_FOR_AGENT_KEYS = new Set(['get /v1/domains/{name}', 'get /v1/domains']);

function operations(doc: Json): Operation[] {
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) {
      // A plain GET is not a WebSocket upgrade: the upgrade's own refusals (close codes) are in
      // api/src/realtime/auth.test.ts. /mcp stays in: it answers 401 without a valid key too.
      if (op['x-e2a-kind'] === 'websocket') continue;
      // `security: []` (none) or a list with `{}` in it (optional): the route answers without a key.
      const security = op.security as Json[] | undefined;
      ops.push({ method, template, authOptional: Array.isArray(security) && (security.length === 0 || security.some((s) => Object.keys(s).length === 0)) });
    }
  }
  return ops;
}

describe.each(ENGINES)('authorization table over every operation (%s)', (engine) => {
  let gw: TestGateway;
  let doc: Json;
  let mail: HiddenMail;
  /** Tenant A's objects, by the path parameter that names them. */
  let target: { address: string; conversation: string; webhook: string; apiKey: string; domain: string; review: string; event: string; outbox: string; session: string; list: string; contact: string; draft: string; label: string; export: string; erasure: string };
  /** Keys that must get nothing of A's. */
  let keys: { revoked: string; otherAccount: string; otherAgent: string; peerAgent: string };
  /** Every string of A's that must not appear in an answer to someone else. */
  let secretsOfA: string[];

  const call = (op: Operation, path: string, key: string | null) => {
    const body = BODIES[`${op.method} ${op.template}`];
    return gw.api(path, { method: op.method.toUpperCase(), key, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  };
  const fill = (template: string, messageId: string) =>
    template.replace(/\{(\w+)\}/g, (_, name: string) => {
      // Lists share the address namespace; their paths aim at A's list, and its member A's agent.
      if (name === 'address') return template.startsWith('/v1/lists/') ? target.list : target.address;
      if (name === 'agent_address') return target.address;
      if (name === 'name') return target.domain;
      if (name === 'index') return '0';
      if (name === 'token') return 'not-a-token';
      if (name === 'label') return target.label;
      if (name !== 'id') throw new Error(`no target for {${name}} in ${template}: add one`);
      if (template.startsWith('/v1/agents/{address}/messages/')) return messageId;
      if (template.startsWith('/v1/agents/{address}/conversations/')) return target.conversation;
      if (template.startsWith('/v1/webhooks/')) return target.webhook;
      if (template.startsWith('/v1/account/api-keys/')) return target.apiKey;
      if (template.startsWith('/v1/reviews/')) return target.review;
      if (template.startsWith('/v1/events/')) return target.event;
      if (template.startsWith('/v1/outbox/')) return target.outbox;
      if (template.startsWith('/v1/account/sessions/')) return target.session;
      if (template.startsWith('/v1/agents/{address}/contacts/')) return target.contact;
      if (template.startsWith('/v1/account/exports/')) return target.export;
      if (template.startsWith('/v1/account/erasures/')) return target.erasure;
      if (template.startsWith('/v1/agents/{address}/drafts/')) return target.draft;
      throw new Error(`no target for {id} in ${template}: add one`);
    });

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      resolver: createFakeResolver({}),
      // The table sends ~100 requests with no or a revoked key from one address; the failed-auth
      // budget has its own test (api-limits.test.ts).
      env: { E2A_OUTBOUND_SMTP_MODE: 'none', E2A_API_LIMITS_FAILED_AUTH_PER_CLIENT_PER_HOUR: '0' },
    });
    mail = await makeHiddenMail(gw);
    const post = async (path: string, body: unknown, key?: string) => {
      const res = await gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBeLessThan(300);
      return (await res.json()) as Json;
    };
    const get = async (path: string) => (await (await gw.api(path)).json()) as Json;

    const revoked = await post('/v1/account/api-keys', { name: 'soon revoked' });
    expect((await gw.api(`/v1/account/api-keys/${revoked.id as string}`, { method: 'DELETE' })).status).toBe(204);
    await post('/v1/agents', { local_part: 'peer' });
    const peerAgent = (await post('/v1/account/api-keys', { scope: 'agent', agent_address: `peer@${TEST_DOMAIN}` })).key as string;
    keys = { revoked: revoked.key as string, otherAccount: mail.keys.otherAccount, otherAgent: mail.keys.otherAgent, peerAgent };

    const webhook = await post('/v1/webhooks', { url: 'https://hooks.example.com/a', events: ['email.received'], description: 'tenant A hook' });
    const apiKeys = (await get('/v1/account/api-keys')).items as Array<{ id: string; scope: string; agent_address: string | null }>;
    const domain = await post('/v1/domains', { name: 'tenant-a.example' });
    // A's card, visible to A's account only: no directory search of anyone else's may list it.
    const card = await gw.api(`/v1/agents/${mail.bot}/card`, { method: 'PUT', body: JSON.stringify({ description: 'tenant A card', skills: ['tenant-a-skill'] }) });
    expect(card.status, await card.clone().text()).toBe(200);
    const list = await post('/v1/lists', { local_part: 'tenant-a-list', post_policy: 'members' });
    await post(`/v1/lists/${list.address as string}/members`, { agent_address: mail.bot });
    // A's pending contact request, to an address outside (A's account could approve it).
    const contact = await post(`/v1/agents/${mail.bot}/contacts`, { address: 'partner@example.net', note: 'tenant A contact' });
    // A's saved draft: sending it, changing it or deleting it is refused to everyone else.
    const draft = await post(`/v1/agents/${mail.bot}/drafts`, { to: ['partner@example.net'], subject: 'tenant A draft', text: 'x' });
    const control = await get(`/v1/agents/${mail.bot}/messages/${mail.ids.control}`);
    // A's label, on the delivered message and its conversation (docs/LABELS.md).
    const label = 'tenant-a-label';
    await post(`/v1/agents/${mail.bot}/messages/${mail.ids.control}/labels`, { add: [label] });
    await post(`/v1/agents/${mail.bot}/conversations/${control.conversation_id as string}/labels`, { add: [label] });
    const reviews = (await get('/v1/reviews?status=pending')).items as Array<{ id: string; message_id: string }>;
    const events = (await get('/v1/events')).items as Array<{ id: string }>;
    // A mail captured in A's local outbox (this gateway has mode none: written as the worker would).
    const outbox = new Outbox({ db: gw.gateway.database.db, box: new SecretBox(gw.gateway.secrets.encryptionKey), clock: { now: () => new Date() } });
    const outboxId = await outbox.capture({ userId: gw.userId, source: 'message', sourceId: mail.ids.control, agentAddress: mail.bot, from: mail.bot, to: ['partner@example.net'], subject: 'tenant A outbox', raw: Buffer.from('Subject: tenant A outbox\r\n\r\nhi\r\n') });
    // A dashboard session of A's, opened with a sign-in link.
    const link = await post('/v1/account/sign-in-links', {});
    expect((await fetch(`${gw.gateway.httpUrl}${new URL(link.url as string).pathname}`, { redirect: 'manual' })).status).toBe(303);
    const sessions = (await get('/v1/account/sessions')).items as Array<{ id: string }>;
    // A finished export of A's, and the deletion of an agent of A's (its report is A's to read).
    const exported = (await post('/v1/account/export', {})) as { id: string };
    await until('A’s export done', async () => (await get(`/v1/account/exports/${exported.id}`)).status === 'done');
    await post('/v1/agents', { local_part: 'doomed' });
    const deletion = await gw.api(`/v1/agents/doomed@${TEST_DOMAIN}?confirm=doomed@${TEST_DOMAIN}`, { method: 'DELETE' });
    expect(deletion.status).toBe(202);
    const erasure = (await deletion.json()) as { id: string };
    target = {
      session: sessions[0]!.id,
      address: mail.bot,
      conversation: control.conversation_id as string,
      webhook: webhook.id as string,
      apiKey: apiKeys.find((k) => k.agent_address === mail.bot)!.id,
      domain: domain.name as string,
      review: reviews.find((r) => r.message_id === mail.ids['held inbound'])!.id,
      event: events[0]!.id,
      outbox: outboxId,
      list: list.address as string,
      contact: contact.id as string,
      draft: draft.id as string,
      label,
      export: exported.id,
      erasure: erasure.id,
    };
    secretsOfA = [mail.bot, `peer@${TEST_DOMAIN}`, 'tenant-a.example', 'tenant A hook', 'tenant A outbox', 'tenant A card', 'tenant A contact', 'tenant A draft', ...Object.values(target), ...Object.values(mail.ids), ...Object.values(mail.marks)];
    doc = (await (await gw.api('/v1/openapi.json', { key: null })).json()) as Json;
  });
  afterAll(() => gw?.close());

  const envelope = async (res: Response) => {
    const body = (await res.json()) as { error?: { code?: string; request_id?: string } };
    expect(body.error?.request_id).toBe(res.headers.get('x-request-id'));
    return body.error?.code;
  };

  it("A's account key reaches every object the table aims at (the targets are real)", async () => {
    const reads = operations(doc).filter((op) => op.method === 'get' && op.template.includes('{') && !op.authOptional);
    expect(reads.length).toBeGreaterThan(10);
    for (const op of reads) {
      const res = await call(op, fill(op.template, mail.ids.control), gw.apiKey);
      expect(res.status, `${op.method} ${op.template}`).toBe(200);
    }
  });

  it('every operation refuses no key and a revoked key with 401, and outsiders with 403/404, leaking nothing', async () => {
    const ops = operations(doc).filter((op) => !op.authOptional);
    const failures: string[] = [];
    let requests = 0;
    const expectStatus = async (op: Operation, who: string, key: string | null, allowed: number[], messageId = mail.ids.control) => {
      const path = fill(op.template, messageId);
      const res = await call(op, path, key);
      requests++;
      const text = await res.clone().text();
      if (!allowed.includes(res.status)) failures.push(`${op.method.toUpperCase()} ${path} as ${who}: ${res.status} ${text.slice(0, 200)}`);
      else if (res.status >= 400) await envelope(res);
      // An error may repeat what the request said (the path); anything else of A's is a leak.
      const leaked = secretsOfA.filter((s) => text.includes(s) && !path.includes(s) && !(allowed.includes(200) && s === target.domain));
      if (leaked.length > 0) failures.push(`${op.method.toUpperCase()} ${path} as ${who} answered with A's ${leaked.join(', ')}`);
    };

    for (const op of ops) {
      await expectStatus(op, 'no key', null, [401]);
      await expectStatus(op, 'a revoked key', keys.revoked, [401]);
      const aimsAtA = op.template.includes('{');
      if (aimsAtA) {
        await expectStatus(op, "B's account key", keys.otherAccount, [404]);
        await expectStatus(op, "B's agent key", keys.otherAgent, [403, 404]);
        const peerMayRead = ACCOUNT_READS_FOR_AGENT_KEYS.has(`${op.method} ${op.template}`);
        await expectStatus(op, "A's other agent's key", keys.peerAgent, peerMayRead ? [200] : [403, 404]);
      }
      if (op.template.startsWith('/v1/agents/{address}/messages/{id}')) {
        for (const hidden of HIDDEN_CASES) await expectStatus(op, `A's own agent key, ${hidden}`, mail.keys.agent, [404], mail.ids[hidden]);
      }
    }

    // Collections answer an outsider with its own objects only.
    for (const op of ops.filter((o) => o.method === 'get' && !o.template.includes('{'))) {
      for (const [who, key] of [
        ["B's account key", keys.otherAccount],
        ["B's agent key", keys.otherAgent],
        ["A's other agent's key", keys.peerAgent],
      ] as const) {
        const res = await gw.api(op.template, { key });
        requests++;
        const text = await res.text();
        // The other agent's key is A's: its own address and A's domains are its to see.
        const ownAccount = (s: string) => who === "A's other agent's key" && (s === `peer@${TEST_DOMAIN}` || (ACCOUNT_READS_FOR_AGENT_KEYS.has(`get ${op.template}`) && s === target.domain));
        const leaked = secretsOfA.filter((s) => text.includes(s) && !ownAccount(s));
        if (leaked.length > 0) failures.push(`GET ${op.template} as ${who} answered with A's ${leaked.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(150);
  });

  it('nothing a refused request aimed at changed', async () => {
    const ok = async (path: string) => {
      const res = await gw.api(path);
      expect(res.status, path).toBe(200);
      return (await res.json()) as Json;
    };
    expect((await ok(`/v1/agents/${mail.bot}`)).address).toBe(mail.bot);
    expect((await ok(`/v1/agents/${mail.bot}`)).retention_days).toBe('account');
    expect((await ok(`/v1/agents/${mail.bot}/messages/${mail.ids.control}`)).deleted_at).toBeNull();
    expect((await ok(`/v1/webhooks/${target.webhook}`)).description).toBe('tenant A hook');
    expect((await ok(`/v1/agents/${mail.bot}/card`)).description).toBe('tenant A card');
    expect((await ok(`/v1/reviews/${target.review}`)).status).toBe('pending');
    expect((await ok(`/v1/agents/${mail.bot}/contacts/${target.contact}`)).state).toBe('pending');
    expect((await ok(`/v1/agents/${mail.bot}/drafts/${target.draft}`)).subject).toBe('tenant A draft');
    expect((await ok(`/v1/domains/${target.domain}`)).name).toBe(target.domain);
    expect((await ok(`/v1/agents/${mail.bot}/messages/${mail.ids.control}`)).read_at).toBeNull();
    expect((await ok(`/v1/agents/${mail.bot}/messages/${mail.ids.control}`)).labels).toEqual(['unread', target.label]);
    expect(((await ok(`/v1/agents/${mail.bot}/labels`)).items as Array<{ name: string }>).map((l) => l.name)).toEqual(['unread', 'sent', 'trash', target.label]);
    const agentKeys = (await ok('/v1/account/api-keys')).items as Array<{ id: string }>;
    expect(agentKeys.map((k) => k.id)).toContain(target.apiKey);
    const agents = ((await ok('/v1/agents')).items as Array<{ address: string }>).map((a) => a.address);
    expect(agents).not.toContain(`intruder@${TEST_DOMAIN}`);
    const outbound = (await ok(`/v1/agents/${mail.bot}/messages?direction=outbound`)).items as Array<{ subject: string }>;
    expect(outbound.map((m) => m.subject)).not.toContain('intruder');
  });
});
