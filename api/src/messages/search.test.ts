/**
 * Full-text search (docs/SEARCH.md) over real SMTP, the send API, local delivery and a list's
 * fan-out, on each engine: `GET /v1/agents/{address}/messages?q=` and `GET /v1/search`. What is
 * found (subject, body, addresses, attachment names; ranked; paged by cursor; combined with the list
 * filters), the snippet (the matched words marked, the sender's markup escaped), and above all what
 * is not: another tenant's mail with the same words, another agent's mail to an agent key, and mail
 * held, rejected or blocked in either direction, to any key, over REST and MCP.
 */
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import { newId } from '../ids.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { HIDDEN_CASES, makeHiddenMail, type HiddenMail } from './hidden-mail-fixtures.js';
import { searchDocument, searchVector } from './search-document.js';
import { indexUnindexedMessages } from './search-index.js';
import { PROBE_ROWS, RANK_WINDOW, WALK_SHARE } from './search-repo.js';

interface Hit {
  id: string;
  agent_address: string;
  subject: string | null;
  direction: string;
  match: { snippet: string; rank: number };
}
interface Page {
  items: Hit[];
  next_cursor: string | null;
}

/** The word every tenant's mail below shares; nothing else in the fixtures says it. */
const WORD = 'zebrafinch';

describe.each(ENGINES)('search (%s)', (engine) => {
  let gw: TestGateway;
  let mail: HiddenMail;
  const peer = `peer@${TEST_DOMAIN}`;
  let peerKey: string;
  const ids: Record<string, string> = {};

  const get = async (path: string, key?: string) => {
    const res = await gw.api(path, key === undefined ? {} : { key });
    const body = (await res.json()) as Page & { error?: { code: string; message: string } };
    return { status: res.status, body };
  };
  const search = async (path: string, key?: string): Promise<Page> => {
    const { status, body } = await get(path, key);
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  };
  const idOf = async (subject: string) => (await gw.gateway.database.db.selectFrom('messages').select('id').where('subject', '=', subject).orderBy('id').executeTakeFirstOrThrow()).id;
  const receive = async (to: string[], spec: Parameters<typeof buildMessage>[0]) => {
    await deliver(gw.gateway.smtpPort, 'alice@example.com', to, buildMessage({ to, ...spec }));
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'none' } });
    mail = await makeHiddenMail(gw);
    const post = (path: string, body: unknown, key?: string) => gw.api(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
    expect((await post('/v1/agents', { local_part: 'peer' })).status).toBe(201);
    peerKey = ((await (await post('/v1/account/api-keys', { scope: 'agent', agent_address: peer })).json()) as { key: string }).key;

    // Tenant A: the word in a subject, in a body (with markup to escape), to two agents at once.
    await receive([mail.bot], {
      subject: `Quarterly ${WORD} report`,
      messageId: 'subject-hit@example.com',
      body: `Hello bot,\nthe figures are attached.\n`,
    });
    await receive([mail.bot], {
      subject: 'Notes from the field',
      messageId: 'body-hit@example.com',
      body: `We saw a ${WORD} <script>alert("x")</script> & a heron near the "old mill".\nMore tomorrow.\n`,
    });
    await receive([mail.bot, peer], { subject: 'Shared sighting', messageId: 'shared@example.com', body: `Both of you: one ${WORD} today.\n` });
    // An attachment found by its file name alone.
    await deliver(
      gw.gateway.smtpPort,
      'carol@example.org',
      [mail.bot],
      Buffer.from(
        [
          'From: Carol <carol@example.org>',
          `To: ${mail.bot}`,
          'Subject: paperwork',
          'Message-ID: <attachment@example.org>',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'see attached',
          '--b1',
          'Content-Type: application/pdf; name="invoice-2024-kestrel.pdf"',
          'Content-Disposition: attachment; filename="invoice-2024-kestrel.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('%PDF-1.4 not really').toString('base64'),
          '--b1--',
          '',
        ].join('\r\n'),
      ),
    );
    // Tenant B: the same words.
    await receive([mail.stranger], { subject: `Quarterly ${WORD} report`, messageId: 'other-tenant@example.com', body: `A ${WORD} for tenant B.\n` });
    // Held for review in A's mailbox, with the words.
    const protect = (body: unknown) => gw.api(`/v1/agents/${mail.bot}/protection`, { method: 'PUT', body: JSON.stringify(body) });
    expect((await protect({ inbound: { policy: 'allowlist', allowlist: [], action: 'review' } })).status).toBe(200);
    await receive([mail.bot], { subject: `Held ${WORD} report`, messageId: 'held-hit@example.com', body: `A held ${WORD}.\n` });
    expect((await protect({})).status).toBe(200);
    // The agent's own sent mail.
    const sent = await post(`/v1/agents/${mail.bot}/messages`, { to: ['partner@example.net'], subject: 'outgoing', text: `I owe you a ${WORD} photo.` }, mail.keys.agent);
    expect(sent.status).toBe(202);

    for (const s of [`Quarterly ${WORD} report`, 'Notes from the field', 'Shared sighting', 'paperwork', 'outgoing', `Held ${WORD} report`]) ids[s] = await idOf(s);
  });
  afterAll(() => gw?.close());

  it("finds the words in an agent's mailbox, best match first, each hit with a marked snippet", async () => {
    const { items, next_cursor } = await search(`/v1/agents/${mail.bot}/messages?q=${WORD}`);
    expect(next_cursor).toBeNull();
    expect(items.map((m) => m.subject).sort()).toEqual([`Quarterly ${WORD} report`, 'Notes from the field', 'Shared sighting', 'outgoing'].sort());
    // The subject weighs most.
    expect(items[0]!.subject).toBe(`Quarterly ${WORD} report`);
    const ranks = items.map((m) => m.match.rank);
    expect([...ranks].sort((a, b) => b - a)).toEqual(ranks);
    for (const m of items) expect(m.agent_address).toBe(mail.bot);
    // The snippet is of the body: a hit by its subject alone shows the body's first words.
    const snippet = (subject: string) => items.find((m) => m.subject === subject)!.match.snippet;
    expect(snippet('Notes from the field')).toContain(`<mark>${WORD}</mark>`);
    expect(snippet('outgoing')).toBe(`I owe you a <mark>${WORD}</mark> photo.`);
    expect(snippet(`Quarterly ${WORD} report`)).toBe('Hello bot, the figures are attached.');
  });

  it("escapes the sender's markup in a snippet: <mark> is the only tag", async () => {
    const { items } = await search(`/v1/agents/${mail.bot}/messages?q=${encodeURIComponent(`${WORD} heron mill`)}`);
    expect(items).toHaveLength(1);
    const { snippet } = items[0]!.match;
    expect(snippet).toContain('<mark>heron</mark>');
    expect(snippet).toContain('&amp;');
    expect(snippet).toContain('&quot;old <mark>mill</mark>&quot;');
    expect(snippet.replace(/<\/?mark>/g, '')).not.toMatch(/[<>"]/);
    expect(snippet).not.toContain('<script');
  });

  it('finds addresses, their parts and attachment file names', async () => {
    for (const q of ['carol@example.org', 'carol', 'kestrel', 'invoice-2024-kestrel.pdf']) {
      const { items } = await search(`/v1/agents/${mail.bot}/messages?q=${encodeURIComponent(q)}`);
      expect(items.map((m) => m.id), q).toEqual([ids.paperwork]);
    }
    const byName = await search(`/v1/agents/${mail.bot}/messages?q=${encodeURIComponent('invoice-2024-kestrel.pdf')}`);
    expect(byName.items[0]!.match.snippet).toContain('<mark>invoice-2024-kestrel.pdf</mark>');
    const phrase = await search(`/v1/agents/${mail.bot}/messages?q=${encodeURIComponent(`"${WORD} report" -held`)}`);
    expect(phrase.items.map((m) => m.id)).toEqual([ids[`Quarterly ${WORD} report`]]);
  });

  it('combines q with the list filters', async () => {
    const outbound = await search(`/v1/agents/${mail.bot}/messages?q=${WORD}&direction=outbound`);
    expect(outbound.items.map((m) => m.id)).toEqual([ids.outgoing]);
    const fromAlice = await search(`/v1/agents/${mail.bot}/messages?q=${WORD}&from=alice@example.com&subject_contains=sighting`);
    expect(fromAlice.items.map((m) => m.id)).toEqual([ids['Shared sighting']]);
  });

  it('pages by cursor in rank order, each hit once; a list cursor or a forged one is refused', async () => {
    const all = await search(`/v1/agents/${mail.bot}/messages?q=${WORD}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await search(`/v1/agents/${mail.bot}/messages?q=${WORD}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((m) => m.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((m) => m.id));

    const list = await search(`/v1/agents/${mail.bot}/messages?limit=1`);
    const refused = await get(`/v1/agents/${mail.bot}/messages?q=${WORD}&cursor=${list.next_cursor}`);
    expect(refused.status).toBe(422);
    expect(refused.body.error!.message).toContain('cursor');
    expect((await get(`/v1/search?q=${WORD}&cursor=${Buffer.from('s1:1:msg_x; drop').toString('base64url')}`)).status).toBe(422);
  });

  it('refuses a q with no word in it, and an empty one', async () => {
    const none = await get(`/v1/search?q=${encodeURIComponent('!! -- ""')}`);
    expect(none.status).toBe(422);
    expect(none.body.error!.message).toContain('no word');
    expect((await get(`/v1/agents/${mail.bot}/messages?q=`)).status).toBe(422);
    expect((await get('/v1/search')).status).toBe(422);
  });

  it("searches every mailbox of the account with an account key, only its own with an agent key, and never another tenant's", async () => {
    const byAccount = await search(`/v1/search?q=${WORD}`);
    const found = byAccount.items.map((m) => `${m.agent_address} ${m.subject}`).sort();
    expect(found).toEqual(
      [`${mail.bot} Quarterly ${WORD} report`, `${mail.bot} Notes from the field`, `${mail.bot} Shared sighting`, `${mail.bot} outgoing`, `${peer} Shared sighting`].sort(),
    );

    const byBotKey = await search(`/v1/search?q=${WORD}`, mail.keys.agent);
    expect(new Set(byBotKey.items.map((m) => m.agent_address))).toEqual(new Set([mail.bot]));
    expect(byBotKey.items).toHaveLength(4);
    const byPeerKey = await search(`/v1/search?q=${WORD}`, peerKey);
    expect(byPeerKey.items.map((m) => `${m.agent_address} ${m.subject}`)).toEqual([`${peer} Shared sighting`]);
    // An agent key reaches no other agent's mailbox by name either.
    expect((await get(`/v1/agents/${mail.bot}/messages?q=${WORD}`, peerKey)).status).toBe(404);

    for (const key of [mail.keys.otherAccount, mail.keys.otherAgent]) {
      const other = await search(`/v1/search?q=${WORD}`, key);
      expect(other.items.map((m) => `${m.agent_address} ${m.subject}`)).toEqual([`${mail.stranger} Quarterly ${WORD} report`]);
      expect((await get(`/v1/agents/${mail.bot}/messages?q=${WORD}`, key)).status).toBe(404);
    }
  });

  it("finds a message sent to two tenants at once (one blob, one vector) as each tenant's own copy only", async () => {
    await receive([mail.bot, mail.stranger], { subject: 'Both tenants', messageId: 'two-tenants@example.com', body: 'A pelican for each of you.\n' });
    const copies = await gw.gateway.database.db.selectFrom('messages').select(['id', 'blob_id']).where('subject', '=', 'Both tenants').execute();
    expect(copies).toHaveLength(2);
    expect(copies[0]!.blob_id).toBe(copies[1]!.blob_id);
    const asA = await search('/v1/search?q=pelican');
    const asB = await search('/v1/search?q=pelican', mail.keys.otherAccount);
    expect(asA.items.map((m) => m.agent_address)).toEqual([mail.bot]);
    expect(asB.items.map((m) => m.agent_address)).toEqual([mail.stranger]);
    expect(asA.items[0]!.id).not.toBe(asB.items[0]!.id);
    expect((await search(`/v1/search?q=pelican`, mail.keys.otherAgent)).items.map((m) => m.id)).toEqual([asB.items[0]!.id]);
  });

  it('shows nothing of held, rejected or blocked mail, in either direction, to any key', async () => {
    const heldId = ids[`Held ${WORD} report`]!;
    for (const key of [mail.keys.agent, mail.keys.account]) {
      for (const path of [`/v1/agents/${mail.bot}/messages?q=`, '/v1/search?q=']) {
        const text = JSON.stringify(await search(`${path}${WORD}&limit=200`, key));
        expect(text).not.toContain(heldId);
        expect(text).not.toMatch(/Held zebrafinch/i);
        for (const c of HIDDEN_CASES) {
          const hidden = await search(`${path}${encodeURIComponent(mail.marks[c])}`, key);
          expect(hidden.items, c).toEqual([]);
        }
        expect((await search(`${path}${encodeURIComponent(mail.marks.control)}`, key)).items.map((m) => m.id)).toEqual([mail.ids.control]);
      }
    }
  });

  it('search_messages over MCP: the agent key finds its mail, never the held copy or another mailbox', async () => {
    const client = new Client({ name: 'search-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.gateway.httpUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${mail.keys.agent}` } } }));
    try {
      const result = await client.callTool({ name: 'search_messages', arguments: { q: WORD } });
      const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
      expect(result.isError).not.toBe(true);
      expect(text).toContain(ids[`Quarterly ${WORD} report`]);
      expect(text).toContain('<mark>zebrafinch</mark>');
      expect(text).not.toContain(ids[`Held ${WORD} report`]);
      expect(text).not.toContain(`"agent_address": "${peer}"`);
      expect(text).not.toContain(mail.stranger);
    } finally {
      await client.close();
    }
  });

  it("indexes a reviewer's edits: the approved text is found, the held text no longer", async () => {
    const protect = (body: unknown) => gw.api(`/v1/agents/${mail.bot}/protection`, { method: 'PUT', body: JSON.stringify(body) });
    expect((await protect({ outbound: { policy: 'allowlist', allowlist: [], action: 'review' } })).status).toBe(200);
    const held = await gw.api(`/v1/agents/${mail.bot}/messages`, { method: 'POST', key: mail.keys.agent, body: JSON.stringify({ to: ['partner@example.net'], subject: 'draft', text: 'about the wombat' }) });
    const { id, review_id } = (await held.json()) as { id: string; review_id: string };
    expect((await protect({})).status).toBe(200);
    expect((await search(`/v1/agents/${mail.bot}/messages?q=wombat`)).items).toEqual([]);
    const approved = await gw.api(`/v1/reviews/${review_id}/approve`, { method: 'POST', body: JSON.stringify({ text: 'about the platypus' }) });
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect((await search(`/v1/agents/${mail.bot}/messages?q=platypus`)).items.map((m) => m.id)).toEqual([id]);
    expect((await search(`/v1/agents/${mail.bot}/messages?q=wombat`)).items).toEqual([]);
  });

  it("indexes a list member's copy and a local delivery", async () => {
    const list = (await (await gw.api('/v1/lists', { method: 'POST', body: JSON.stringify({ local_part: 'birders', post_policy: 'members' }) })).json()) as { address: string };
    for (const agent of [mail.bot, peer]) {
      expect((await gw.api(`/v1/lists/${list.address}/members`, { method: 'POST', body: JSON.stringify({ agent_address: agent }) })).status).toBe(201);
    }
    const posted = await gw.api(`/v1/agents/${mail.bot}/messages`, { method: 'POST', key: mail.keys.agent, body: JSON.stringify({ to: [list.address, peer], subject: 'to the list', text: 'a lapwing flew over' }) });
    expect(posted.status).toBe(202);
    const hits = await until('the post in peer’s mailbox', async () => {
      const page = await search('/v1/search?q=lapwing', peerKey);
      return page.items.length > 0 ? page.items : null;
    });
    expect(hits.map((m) => `${m.agent_address} ${m.direction}`)).toEqual([`${peer} inbound`]);
  });

  it("keeps the largest document the limits allow well inside a tsvector's 1 MB, so no message is refused for its words", async () => {
    const words = (n: number, word: (i: number) => string) => Array.from({ length: n }, (_, i) => word(i)).join(' ');
    const latin = (i: number) => i.toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!);
    // Distinct short words, and distinct four-byte letters: the most vector per character of text.
    for (const body of [words(60_000, latin), words(120_000, (i) => String.fromCodePoint(0x20000 + i))]) {
      const doc = searchDocument({
        subject: words(5_000, latin),
        from: null,
        recipients: Array.from({ length: 5_000 }, (_, i) => ({ address: `u${i}@d${i}.example`, name: `Name ${latin(i)}` })),
        attachments: Array.from({ length: 1_000 }, (_, i) => ({ filename: `${latin(i)}.pdf` })),
        text: body,
        html: null,
      });
      const { rows } = await sql<{ bytes: number }>`SELECT pg_column_size(${searchVector(doc)}) AS bytes`.execute(gw.gateway.database.db);
      expect(rows[0]!.bytes).toBeLessThan(600_000);
    }
  });

  it('ranks the newest RANK_WINDOW matches, whether found by the index or by walking the mailbox newest first', async () => {
    // RANK_WINDOW + 200 messages straight into a mailbox of their own, oldest first: `everywhere` in
    // each (the probe of the newest PROBE_ROWS finds it in all: walked), `often` in every third
    // (walked), `sometimes` in every fiftieth (2%, under WALK_SHARE: by the index); every seventh
    // says `everywhere` in its subject too.
    expect(1 / 50).toBeLessThan(WALK_SHARE);
    const db = gw.gateway.database.db;
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bulk' }) })).status).toBe(201);
    const bulk = `bulk@${TEST_DOMAIN}`;
    const { id: agentId } = await db.selectFrom('agents').select('id').where('address', '=', bulk).executeTakeFirstOrThrow();
    const n = Math.max(RANK_WINDOW, PROBE_ROWS) + 200;
    const rows = Array.from({ length: n }, (_, i) => ({
      id: newId('message'),
      blob: newId('blob'),
      conversation: newId('conversation'),
      subject: i % 7 === 0 ? `everywhere ${i}` : `note ${i}`,
      body: ['everywhere', i % 3 === 0 ? 'often' : '', i % 50 === 0 ? 'sometimes' : '', `n${i}`].join(' '),
    }));
    const col = (f: (r: (typeof rows)[number]) => string) => rows.map(f);
    await sql`
      WITH d AS (SELECT * FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.blob)}::text[], ${col((r) => r.conversation)}::text[], ${col((r) => r.subject)}::text[], ${col((r) => r.body)}::text[]) AS d(id, blob_id, conversation_id, subject, body)),
      b AS (INSERT INTO message_blobs (id, created_at, search) SELECT blob_id, now(), ${searchVector({ subject: sql.ref('d.subject'), names: sql`''`, body: sql.ref('d.body') })} FROM d),
      c AS (INSERT INTO conversations (id, agent_id, subject, message_count) SELECT conversation_id, ${agentId}, subject, 1 FROM d)
      INSERT INTO messages (id, agent_id, conversation_id, direction, status, dedupe_key, content_hash, subject, blob_id, size_bytes, received_at)
      SELECT d.id, ${agentId}, d.conversation_id, 'inbound', 'received', d.id, d.id, d.subject, d.blob_id, 1, now()
      FROM d`.execute(db);
    const all = async (q: string) => {
      const hits: Hit[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await search(`/v1/agents/${bulk}/messages?q=${q}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        hits.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return hits;
    };
    const index = new Map(rows.map((r, i) => [r.id, i]));

    const everywhere = await all('everywhere');
    expect(everywhere).toHaveLength(RANK_WINDOW);
    expect(new Set(everywhere.map((h) => h.id)).size).toBe(RANK_WINDOW);
    expect(everywhere.every((h) => index.get(h.id)! >= n - RANK_WINDOW)).toBe(true);
    const bySubject = rows.filter((_, i) => i >= n - RANK_WINDOW && i % 7 === 0).map((r) => r.id);
    expect(everywhere.slice(0, bySubject.length).map((h) => h.id).sort()).toEqual([...bySubject].sort());

    const often = await all('often');
    const everyThird = rows.filter((_, i) => i % 3 === 0).map((r) => r.id);
    expect(everyThird.length).toBeLessThanOrEqual(RANK_WINDOW);
    expect(often.map((h) => h.id).sort()).toEqual(everyThird.sort());
    const sometimes = await all('sometimes');
    expect(sometimes.map((h) => h.id).sort()).toEqual(rows.filter((_, i) => i % 50 === 0).map((r) => r.id).sort());
    // Within one rank, newest first.
    const sameRank = sometimes.filter((h) => h.match.rank === sometimes[0]!.match.rank).map((h) => h.id);
    expect(sameRank.length).toBeGreaterThan(1);
    expect(sameRank).toEqual([...sameRank].sort().reverse());
  });

  it('mail stored before search existed is found once `search-index` has indexed it', async () => {
    const db = gw.gateway.database.db;
    await db.updateTable('message_blobs').set({ search: null }).where('id', '=', (eb) => eb.selectFrom('messages').select('blob_id').where('id', '=', ids.paperwork!)).execute();
    expect((await search(`/v1/agents/${mail.bot}/messages?q=kestrel`)).items).toEqual([]);
    const indexed = await indexUnindexedMessages(db, new SecretBox(gw.gateway.secrets.encryptionKey), { batch: 2 });
    expect(indexed).toBe(1);
    expect((await search(`/v1/agents/${mail.bot}/messages?q=kestrel`)).items.map((m) => m.id)).toEqual([ids.paperwork]);
    expect(await indexUnindexedMessages(db, new SecretBox(gw.gateway.secrets.encryptionKey))).toBe(0);
  });
});
