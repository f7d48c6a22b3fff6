import { randomBytes } from 'node:crypto';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { eraseAgentNow } from '../testing/erase.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { tableBytes } from '../testing/database-size.js';

const RECIPIENTS = 20;
/** version(1) + nonce(12) + tag(16) that sealing adds to each value (crypto/secret-box.ts). */
const SEAL_OVERHEAD = 29;

/** About 1 MiB on the wire: a text and an HTML part of prose and a base64 attachment of random bytes. */
function bigMessage(to: string[], messageId: string) {
  const prose = (n: number, word: string) => Array.from({ length: n }, (_, i) => `${word} ${i} of the quarterly report, with figures and notes`).join('\n');
  const text = prose(2500, 'line');
  const html = `<html><body>${prose(2500, '<p>para').replace(/\n/g, '</p>\n')}</p></body></html>`;
  const attachment = randomBytes(500 * 1024);
  const lines = [
    'From: Alice <alice@example.com>',
    `To: ${to.join(', ')}`,
    'Subject: quarterly report for everyone',
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/alternative; boundary="inner"',
    '',
    '--inner',
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
    '--inner',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '--inner--',
    '--outer',
    'Content-Type: application/octet-stream; name="report.bin"',
    'Content-Disposition: attachment; filename="report.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment.toString('base64').replace(/.{76}/g, '$&\n').trimEnd(),
    '--outer--',
    '',
  ];
  const raw = Buffer.from(lines.join('\n').replace(/\n/g, '\r\n'), 'utf8');
  return { raw, text, html, attachment };
}


/** The stored content of the given blobs: rows, and the bytes of raw, bodies and attachments. */
async function storedContent(db: Database, blobIds: string[]) {
  const { rows } = await sql<{ blobs: number; attachments: number; bytes: string }>`
    SELECT (SELECT count(*)::int FROM message_blobs WHERE id = ANY(${blobIds})) AS blobs,
           (SELECT count(*)::int FROM attachments WHERE blob_id = ANY(${blobIds})) AS attachments,
           ((SELECT coalesce(sum(coalesce(octet_length(raw), 0) + coalesce(octet_length(text_body), 0) + coalesce(octet_length(html_body), 0)), 0)
               FROM message_blobs WHERE id = ANY(${blobIds}))
            + (SELECT coalesce(sum(octet_length(content)), 0) FROM attachments WHERE blob_id = ANY(${blobIds})))::text AS bytes`.execute(db);
  return { blobs: rows[0]!.blobs, attachments: rows[0]!.attachments, bytes: Number(rows[0]!.bytes) };
}

/** GET …/raw minus the X-E2A-Auth-* lines prepended at delivery. */
function storedRaw(bytes: Buffer): Buffer {
  let offset = 0;
  while (bytes.subarray(offset, offset + 11).toString('latin1') === 'X-E2A-Auth-') offset = bytes.indexOf('\r\n', offset) + 2;
  return bytes.subarray(offset);
}

describe.each(ENGINES)('one accepted message to many agents is stored once (%s)', (engine) => {
  let gw: TestGateway;
  let db: Database;
  const agents = Array.from({ length: RECIPIENTS }, (_, i) => `reader${String(i).padStart(2, '0')}@${TEST_DOMAIN}`);
  const message = bigMessage(agents, 'shared-1@example.com');
  /** The recipient's copy: its id in that agent's mailbox. */
  const copies = new Map<string, string>();
  let blobId = '';

  const copyOf = async (agent: string): Promise<string | null> => {
    const res = await gw.api(`/v1/agents/${agent}/messages?subject_contains=quarterly`);
    if (res.status !== 200) return null;
    const { items } = (await res.json()) as { items: Array<{ id: string }> };
    return items[0]?.id ?? null;
  };

  /** The agent's copy reads back exactly as sent: /raw, both bodies, the attachment. */
  const expectWhole = async (agent: string) => {
    const id = copies.get(agent)!;
    const raw = storedRaw(Buffer.from(await (await gw.api(`/v1/agents/${agent}/messages/${id}/raw`)).arrayBuffer()));
    // The stored form is the message as received with our trace fields prepended (sanitize).
    expect(raw.subarray(raw.length - message.raw.length).equals(message.raw), `${agent} /raw`).toBe(true);
    const got = (await (await gw.api(`/v1/agents/${agent}/messages/${id}`)).json()) as { text: string; html: string; attachments: Array<{ size: number }> };
    expect(got.text.trimEnd(), `${agent} text`).toBe(message.text);
    expect(got.html.trimEnd(), `${agent} html`).toBe(message.html);
    expect(got.attachments.map((a) => a.size)).toEqual([message.attachment.length]);
    const attachment = Buffer.from(await (await gw.api(`/v1/agents/${agent}/messages/${id}/attachments/0`)).arrayBuffer());
    expect(attachment.equals(message.attachment), `${agent} attachment`).toBe(true);
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    db = gw.gateway.database.db;
    for (const agent of agents) {
      expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: agent.split('@')[0] }) })).status).toBe(201);
    }
    // One small message first, so the growth measured below is not the first pages of every table and index.
    await deliver(gw.gateway.smtpPort, 'alice@example.com', agents, buildMessage({ to: agents, subject: 'warm-up', messageId: 'warm-up@example.com' }));
  });
  afterAll(() => gw?.close());

  it('stores the raw message, its bodies and its attachment once for 20 recipients: one sealed copy plus small rows', async () => {
    const before = await tableBytes(db);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', agents, message.raw);
    const grown = (await tableBytes(db)) - before;

    // One sealed copy: the stored raw form (a few hundred bytes of trace fields longer than what was
    // sent), the two decoded bodies and the decoded attachment, each with the seal's overhead.
    const oneCopy = message.raw.length + 1024 + Buffer.byteLength(message.text) + Buffer.byteLength(message.html) + message.attachment.length + 4 * SEAL_OVERHEAD;
    // Growth counts everything: 20 message rows, their events and conversations, index entries, TOAST chunking.
    expect(grown, `the database grew by ${grown} bytes for a ${message.raw.length}-byte message to ${RECIPIENTS} agents`).toBeLessThan(1.2 * oneCopy + RECIPIENTS * 16 * 1024);

    for (const agent of agents) copies.set(agent, (await copyOf(agent))!);
    const rows = await db.selectFrom('messages').select(['id', 'blob_id']).where('id', 'in', [...copies.values()]).execute();
    expect(rows).toHaveLength(RECIPIENTS);
    const blobIds = [...new Set(rows.map((r) => r.blob_id))];
    expect(blobIds).toHaveLength(1);
    blobId = blobIds[0]!;
    const stored = await storedContent(db, blobIds);
    expect({ blobs: stored.blobs, attachments: stored.attachments }).toEqual({ blobs: 1, attachments: 1 });
    expect(stored.bytes).toBeLessThanOrEqual(1.2 * oneCopy);
  });

  it("gives every recipient the original bytes: /raw, text, HTML and the attachment download", async () => {
    for (const agent of agents) await expectWhole(agent);
  });

  it('stores nothing for a re-sent duplicate, and a new recipient of the re-send gets a blob of its own', async () => {
    const blobsBefore = await countBlobs(db);
    // Every copy is skipped by the dedupe (ON CONFLICT): no orphan blob is left behind.
    await deliver(gw.gateway.smtpPort, 'alice@example.com', agents, message.raw);
    expect(await countBlobs(db)).toBe(blobsBefore);
    for (const agent of agents) expect(await copyOf(agent)).toBe(copies.get(agent));

    // The one-statement path (one recipient, no attachment) skips its duplicate as well.
    const small = buildMessage({ to: agents[0], subject: 'once only', messageId: 'once-only@example.com' });
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [agents[0]!], small);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [agents[0]!], small);
    expect(await countBlobs(db)).toBe(blobsBefore + 1);

    // Re-sent to the same 20 plus one more: the 20 are skipped, the last copy is the first stored and writes the blob.
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'latecomer' }) })).status).toBe(201);
    const latecomer = `latecomer@${TEST_DOMAIN}`;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [...agents, latecomer], message.raw);
    expect(await countBlobs(db)).toBe(blobsBefore + 2);
    copies.set(latecomer, (await copyOf(latecomer))!);
    await expectWhole(latecomer);
    const late = await db.selectFrom('messages').select('blob_id').where('id', '=', copies.get(latecomer)!).executeTakeFirstOrThrow();
    expect(await storedContent(db, [late.blob_id])).toMatchObject({ blobs: 1, attachments: 1 });
    await eraseAgentNow(gw, latecomer);
    expect(await storedContent(db, [late.blob_id])).toMatchObject({ blobs: 0, attachments: 0 });
  });

  it('stores mail one agent sends to three others on this gateway once for them, beside the sender’s own', async () => {
    const [sender, ...to] = [agents[19]!, agents[2]!, agents[3]!, agents[4]!];
    const res = await gw.api(`/v1/agents/${sender}/messages`, { method: 'POST', body: JSON.stringify({ to, subject: 'local fan-out', text: 'to three colleagues' }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const sent = await until('the sender’s message sent, with its composed bytes', () =>
      db
        .selectFrom('messages as m')
        .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
        .select(['m.blob_id', 'b.raw'])
        .where('m.id', '=', id)
        .where('m.status', '=', 'sent')
        .executeTakeFirst(),
    );
    expect(sent.raw).not.toBeNull();
    const received = await db.selectFrom('messages').select(['agent_id', 'blob_id']).where('direction', '=', 'inbound').where('subject', '=', 'local fan-out').execute();
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.blob_id)).size).toBe(1);
    expect(received[0]!.blob_id).not.toBe(sent.blob_id);
  });

  it("deleting one copy, or one agent, leaves the other recipients' copies whole", async () => {
    await db.deleteFrom('messages').where('id', '=', copies.get(agents[0]!)!).execute();
    await eraseAgentNow(gw, agents[1]!);
    expect(await storedContent(db, [blobId])).toMatchObject({ blobs: 1, attachments: 1 });
    for (const agent of agents.slice(2)) await expectWhole(agent);
  });

  it('deleting the last copies deletes the blob and its attachment', async () => {
    // Nine agents deleted (cascade), nine copies deleted in one statement, then the last copy alone.
    for (const agent of agents.slice(2, 11)) await eraseAgentNow(gw, agent);
    await db.deleteFrom('messages').where('id', 'in', agents.slice(11, 19).map((a) => copies.get(a)!)).execute();
    expect(await storedContent(db, [blobId])).toMatchObject({ blobs: 1, attachments: 1 });
    await expectWhole(agents[19]!);
    await db.deleteFrom('messages').where('id', '=', copies.get(agents[19]!)!).execute();
    expect(await storedContent(db, [blobId])).toEqual({ blobs: 0, attachments: 0, bytes: 0 });
    // And nothing anywhere is left unreferenced.
    const orphans = await db
      .selectFrom('message_blobs as b')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('messages as m').select('m.id').whereRef('m.blob_id', '=', 'b.id'))))
      .executeTakeFirstOrThrow();
    expect(Number(orphans.n)).toBe(0);
  });
});

async function countBlobs(db: Database): Promise<number> {
  const row = await db.selectFrom('message_blobs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
