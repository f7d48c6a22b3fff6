/**
 * Capability cards and the directory over real HTTP, on each engine: CRUD and validation, who sees
 * which card (GET, directory, well-known document), ranking, the tag filter, paging, and the MCP
 * find_agents tool through a real MCP client on /mcp.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { eraseAgentNow } from '../testing/erase.js';

type Json = Record<string, any>;

const bot = `bot@${TEST_DOMAIN}`;
const sibling = `sibling@${TEST_DOMAIN}`;
const outsider = `outsider@${TEST_DOMAIN}`;
const secret = `secret@${TEST_DOMAIN}`;

describe.each(ENGINES)('agent cards and the directory (%s)', (engine) => {
  let gw: TestGateway;
  /** bot's own agent key; an account key of another tenant; that tenant's agent key. */
  let botKey: string;
  let otherKey: string;
  let otherAgentKey: string;

  const card = (address: string) => `/v1/agents/${address}/card`;
  const put = (address: string, body: unknown, key?: string) => gw.api(card(address), { method: 'PUT', body: JSON.stringify(body), ...(key ? { key } : {}) });
  const ok = async (res: Response | Promise<Response>, status = 200): Promise<Json> => {
    const r = await res;
    const text = await r.text();
    expect(r.status, text).toBe(status);
    return text ? (JSON.parse(text) as Json) : {};
  };
  const search = (query: string, key?: string) => ok(gw.api(`/v1/directory${query}`, key ? { key } : {}));
  const addresses = (page: Json) => (page.items as Array<{ address: string }>).map((c) => c.address);

  beforeAll(async () => {
    gw = await startTestGateway({ engine });
    for (const local_part of ['bot', 'sibling']) await ok(gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part }) }), 201);
    botKey = (await ok(gw.api('/v1/account/api-keys', { method: 'POST', body: JSON.stringify({ scope: 'agent', agent_address: bot }) }), 201)).key;
    otherKey = (await gw.gateway.accounts.bootstrap('other@example.com')).apiKey.key;
    for (const local_part of ['outsider', 'secret']) await ok(gw.api('/v1/agents', { method: 'POST', key: otherKey, body: JSON.stringify({ local_part }) }), 201);
    otherAgentKey = (await ok(gw.api('/v1/account/api-keys', { method: 'POST', key: otherKey, body: JSON.stringify({ scope: 'agent', agent_address: outsider }) }), 201)).key;
  });
  afterAll(() => gw?.close());

  it('publishes, reads, replaces and withdraws a card, normalising what it stores', async () => {
    expect((await ok(gw.api(card(bot)), 404)).error.message).toContain('has no card');
    const saved = await ok(
      put(bot, {
        display_name: ' Invoice Bot ',
        description: 'Reads invoices and answers questions about them.',
        skills: ['Invoice-Processing', 'ocr', 'invoice-processing'],
        accepted_content_types: ['Application/PDF', 'text/*'],
        languages: ['en', 'pt-br', 'EN'],
        contact_policy: 'contacts_only',
        schema_versions: ['e2a.card/1'],
      }),
    );
    expect(saved).toMatchObject({
      address: bot,
      display_name: 'Invoice Bot',
      skills: ['invoice-processing', 'ocr'],
      accepted_content_types: ['application/pdf', 'text/*'],
      languages: ['en', 'pt-BR'],
      contact_policy: 'contacts_only',
      schema_versions: ['e2a.card/1'],
      visibility: 'account',
    });
    expect(await ok(gw.api(card(bot)))).toEqual(saved);
    // PUT replaces: omitted fields take their defaults.
    const replaced = await ok(put(bot, { skills: ['ocr'] }));
    expect(replaced).toMatchObject({ display_name: null, description: '', skills: ['ocr'], languages: [], contact_policy: 'open', visibility: 'account' });
    await ok(gw.api(card(bot), { method: 'DELETE' }), 204);
    await ok(gw.api(card(bot)), 404);
    await ok(gw.api(card(bot), { method: 'DELETE' }), 204);
  });

  it('refuses bad cards with 422 naming the field, never a 5xx', async () => {
    const cases: Array<[unknown, string]> = [
      [{ skills: ['has space'] }, 'skills'],
      [{ skills: Array.from({ length: 33 }, (_, i) => `s${i}`) }, 'skills'],
      [{ skills: ['x'.repeat(65)] }, 'skills'],
      [{ accepted_content_types: ['pdf'] }, 'accepted_content_types'],
      [{ accepted_content_types: ['text/plain; charset=utf-8'] }, 'accepted_content_types'],
      [{ languages: ['english!'] }, 'languages'],
      [{ languages: ['en-a'] }, 'languages'],
      [{ contact_policy: 'everyone' }, 'contact_policy'],
      [{ schema_versions: ['card v1'] }, 'schema_versions'],
      [{ description: 'x'.repeat(2001) }, 'description'],
      [{ display_name: '' }, 'display_name'],
      [{ visibility: 'world' }, 'visibility'],
      [{ unknown_field: 1 }, 'unknown_field'],
    ];
    for (const [body, field] of cases) {
      const res = await put(bot, body);
      const text = await res.text();
      expect(res.status, `${JSON.stringify(body).slice(0, 80)}: ${text}`).toBe(422);
      const error = JSON.parse(text).error;
      expect(error.code).toBe('validation_error');
      expect(JSON.stringify(error)).toContain(field);
    }
    expect((await gw.api(card(bot), { method: 'PUT', body: '{"skills": [', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    for (const query of ['?limit=0', '?limit=abc', '?tag=not%20a%20tag', `?q=${'x'.repeat(201)}`, '?cursor=bm9wZQ', '?sort=rank']) {
      const res = await gw.api(`/v1/directory${query}`);
      expect(res.status, query).toBe(422);
    }
    await ok(gw.api(card(bot)), 404);
  });

  it("lets the agent's own key write its card but not change its visibility", async () => {
    expect((await ok(put(bot, { skills: ['ocr'] }, botKey))).visibility).toBe('account');
    const refused = await ok(put(bot, { skills: ['ocr'], visibility: 'public' }, botKey), 403);
    expect(refused.error.message).toMatch(/account key/);
    expect((await ok(put(bot, { visibility: 'public', skills: ['ocr'] }))).visibility).toBe('public');
    // Omitted, visibility stays, for the agent's key as for an account key.
    expect((await ok(put(bot, { skills: ['ocr', 'pdf'] }, botKey))).visibility).toBe('public');
    await ok(put(bot, { skills: ['ocr'], visibility: 'account' }));
    // Another agent's key of the same account: the sibling is not its to write or read.
    await ok(put(sibling, { skills: ['x'] }, botKey), 404);
    await ok(gw.api(card(sibling), { key: botKey }), 404);
    await ok(gw.api(card(bot), { method: 'DELETE' }), 204);
  });

  it('hides account cards from other tenants exactly as an unknown agent, and shows public ones', async () => {
    await ok(put(secret, { description: 'internal payroll helper', skills: ['payroll'] }, otherKey));
    await ok(put(outsider, { description: 'public translation desk', skills: ['translation'], visibility: 'public' }, otherKey));
    const unknown = `nobody@${TEST_DOMAIN}`;
    const hidden = await gw.api(card(secret));
    const none = await gw.api(card(unknown));
    expect(hidden.status).toBe(404);
    expect(none.status).toBe(404);
    const hiddenError = (await hidden.json()).error;
    const noneError = (await none.json()).error;
    expect(hiddenError.code).toBe(noneError.code);
    expect(hiddenError.message.replace(secret, '<a>')).toBe(noneError.message.replace(unknown, '<a>'));
    // A public card reads with any key, but only its account writes it.
    expect((await ok(gw.api(card(outsider)))).skills).toEqual(['translation']);
    await ok(put(outsider, { skills: ['hijacked'] }), 404);
    await ok(gw.api(card(outsider), { method: 'DELETE' }), 404);
    expect((await ok(gw.api(card(outsider), { key: otherKey }))).skills).toEqual(['translation']);

    expect(addresses(await search('?q=payroll'))).toEqual([]);
    expect(addresses(await search('?tag=payroll'))).toEqual([]);
    expect(addresses(await search('?q=translation'))).toEqual([outsider]);
    expect(addresses(await search('?q=payroll', otherKey))).toEqual([secret]);
  });

  it('gives an agent key its own card and public ones, not its account siblings', async () => {
    await ok(put(bot, { description: 'bot scheduling', skills: ['scheduling'] }));
    await ok(put(sibling, { description: 'sibling scheduling', skills: ['scheduling'] }));
    expect(addresses(await search('?q=scheduling')).sort()).toEqual([bot, sibling].sort());
    expect(addresses(await search('?q=scheduling', botKey))).toEqual([bot]);
    expect(addresses(await search('', otherAgentKey))).not.toContain(secret);
    expect(addresses(await search('', otherAgentKey))).toContain(outsider);
    await ok(gw.api(card(bot), { method: 'DELETE' }), 204);
    await ok(gw.api(card(sibling), { method: 'DELETE' }), 204);
  });

  it('ranks a skill match above a description match, filters by tag and pages without repeats', async () => {
    await ok(put(bot, { description: 'I can do some translation when asked, but mostly other things.', skills: ['ocr'] }));
    await ok(put(sibling, { description: 'Language services.', skills: ['translation', 'german'] }));
    // The outsider's public card matches on its skill as well.
    const ranked = addresses(await search('?q=translation'));
    expect(ranked).toHaveLength(3);
    expect(ranked.indexOf(bot)).toBe(2);
    expect(addresses(await search('?q=translation&tag=german'))).toEqual([sibling]);
    expect(addresses(await search('?tag=GERMAN'))).toEqual([sibling]);
    expect(addresses(await search('?q=%22other+things%22+-german'))).toEqual([bot]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = await search(`?q=translation&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...addresses(page));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(ranked);
    expect(pages).toBe(3);
    // Without q: every visible card, paged by agent id.
    const all = addresses(await search('?limit=100'));
    expect(all.sort()).toEqual([bot, outsider, sibling].sort());
  });

  it('serves the well-known document for public cards only, with one 404 for the rest', async () => {
    const wellKnown = (address: string) => gw.api(`/.well-known/e2a/agents/${address}.json`, { key: null });
    const res = await wellKnown(outsider);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = (await res.json()) as Json;
    expect(doc).toMatchObject({ schema: 'e2a.card/1', address: outsider, skills: ['translation'], contact_policy: 'open' });
    expect(doc).not.toHaveProperty('visibility');
    expect((await wellKnown(outsider.toUpperCase())).status).toBe(200);

    const answers: Array<{ status: number; code: string; message: string }> = [];
    for (const address of [secret, bot, `nobody@${TEST_DOMAIN}`]) {
      const r = await wellKnown(address);
      const error = ((await r.json()) as Json).error;
      answers.push({ status: r.status, code: error.code, message: error.message.replace(address, '<a>') });
    }
    expect(answers[0]).toEqual({ status: 404, code: 'not_found', message: 'no public card for <a>' });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect((await wellKnown('not an address')).status).toBe(404);
    // Withdrawn from public: the document goes with it.
    await ok(put(outsider, { skills: ['translation'], visibility: 'account' }, otherKey));
    expect((await wellKnown(outsider)).status).toBe(404);
    await ok(put(outsider, { description: 'public translation desk', skills: ['translation'], visibility: 'public' }, otherKey));
  });

  it('deletes the card with its agent', async () => {
    await ok(gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'shortlived' }) }), 201);
    const address = `shortlived@${TEST_DOMAIN}`;
    await ok(put(address, { skills: ['ephemeral'], visibility: 'public' }));
    expect(addresses(await search('?tag=ephemeral'))).toEqual([address]);
    await eraseAgentNow(gw, address);
    expect(addresses(await search('?tag=ephemeral'))).toEqual([]);
    const rows = await gw.gateway.database.db.selectFrom('agent_cards').select('agent_id').execute();
    expect(rows.length).toBe(4);
  });

  it('find_agents over MCP finds a card by a skill', async () => {
    const client = new Client({ name: 'cards-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${botKey}` } } }));
    try {
      const result = await client.callTool({ name: 'find_agents', arguments: { q: 'translation' } });
      expect(result.isError).toBeFalsy();
      const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
      expect(text).toContain(outsider);
      // The agent key does not see its sibling's account card (visibility.ts).
      expect(text).not.toContain(sibling);
      const byTag = await client.callTool({ name: 'find_agents', arguments: { tag: 'german' } });
      expect((byTag.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n')).not.toContain(sibling);
      const got = await client.callTool({ name: 'get_agent_card', arguments: { address: outsider } });
      expect((got.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n')).toContain('translation');
    } finally {
      await client.close();
    }
  });
});
