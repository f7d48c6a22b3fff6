/**
 * Account export (docs/DATA.md "Export"), on a gateway where two accounts have data in every table
 * (testing/account-data.ts):
 *
 *   - account keys only; one job at a time per account;
 *   - the archive round-trips: each .eml is exactly the stored message, the bytes GET …/raw serves
 *     without the X-E2A-Auth-* lines it prepends; re-imported (delivered again over SMTP) it is stored
 *     byte for byte beneath the Received field the new hop adds, except that this gateway's own
 *     Authentication-Results verdict is replaced by the new hop's (RFC 8601 §5);
 *   - it holds no secret (webhook secrets, keys, key hashes) and nothing of the other account;
 *   - a job whose worker died half-way resumes at its last committed chunk, on another worker, into
 *     the same archive an uninterrupted run makes;
 *   - the archive is deleted after the retention time (a fake clock, no waiting).
 */
import { createHash } from 'node:crypto';
import { createFakeResolver } from '@e2a/relay/testing';
import type { AccountExport } from '@e2a/sdk/wire';
import { pino } from 'pino';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../crypto/secret-box.js';
import { otherAccount, populateAccount, type AccountData } from '../testing/account-data.js';
import { TestClock } from '../testing/clock.js';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';
import { until } from '../testing/until.js';
import { AccountExportWorker } from '../workers/account-export.js';
import { ExportContents } from './contents.js';
import { ExportsService } from './service.js';

const RETENTION_HOURS = 24;

/** The archive's files by path below its top folder. */
async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) parts.push(chunk);
      files.set(entry.header.name.replace(/^[^/]+\//, ''), Buffer.concat(parts));
    }
  })();
  extract.end(bytes);
  await done;
  return files;
}

/** GET …/raw prepends signed X-E2A-Auth-* lines to the stored bytes; the stored bytes are what follows. */
function withoutClaims(served: Buffer): Buffer {
  let at = 0;
  while (served.subarray(at, at + 11).toString('latin1').toLowerCase() === 'x-e2a-auth-') at = served.indexOf('\r\n', at) + 2;
  return served.subarray(at);
}

/** The header fields at the start of `raw`, as (name, bytes) with their continuation lines. */
function headerFields(raw: Buffer): Array<{ name: string; bytes: Buffer }> {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end === -1 ? raw.length : end + 2).toString('latin1');
  return (head.match(/[^\r\n]+\r\n(?:[ \t][^\r\n]*\r\n)*/g) ?? []).map((f) => ({ name: f.slice(0, f.indexOf(':')).toLowerCase(), bytes: Buffer.from(f, 'latin1') }));
}

const fieldNames = (raw: Buffer) => headerFields(raw).map((f) => f.name);

/** `raw` without the Authentication-Results fields of `authservId`. */
function ownVerdictsRemoved(raw: Buffer, authservId: string): Buffer {
  const fields = headerFields(raw);
  const headLength = fields.reduce((n, f) => n + f.bytes.length, 0);
  const kept = fields.filter((f) => !(f.name === 'authentication-results' && f.bytes.toString('latin1').slice(f.name.length + 1).trim().startsWith(`${authservId};`)));
  return Buffer.concat([...kept.map((f) => f.bytes), raw.subarray(headLength)]);
}

describe.each(ENGINES)('account export (%s)', (engine) => {
  let gw: TestGateway;
  let clock: TestClock;
  let a: AccountData;
  let b: AccountData;
  let box: SecretBox;
  let contents: ExportContents;
  let archive: Map<string, Buffer>;
  let archiveBytes: Buffer;

  const api = (path: string, init: { method?: string; key?: string | null } = {}) => gw.api(path, { method: init.method ?? 'GET', key: init.key === undefined ? gw.apiKey : init.key });
  const worker = (leaseMs = 60_000) =>
    new AccountExportWorker({ db: gw.gateway.database.db, box, clock, contents, logger: pino({ level: 'silent' }), pollIntervalMs: 3_600_000, retentionMs: RETENTION_HOURS * 3600_000, leaseMs });
  /** A job queued without waking the gateway's own worker, so a test decides who runs it. */
  const quietJob = async () => (await new ExportsService({ db: gw.gateway.database.db, box, clock, contents, wake: () => {} }).start({ userId: a.userId, email: a.email, keyId: 'key_test', scope: 'account', agentId: null, agentAddress: null })).id;
  const download = async (id: string) => {
    const res = await api(`/v1/account/exports/${id}/download`);
    expect(res.status, await res.clone().text().catch(() => '')).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="e2a-export-${id}.tar"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    return bytes;
  };

  beforeAll(async () => {
    clock = new TestClock();
    gw = await startTestGateway({
      engine,
      clock,
      resolver: createFakeResolver({}),
      env: { E2A_OUTBOUND_SMTP_MODE: 'outbox', E2A_EXPORTS_POLL_INTERVAL_MS: '3600000', E2A_EXPORTS_RETENTION_HOURS: String(RETENTION_HOURS) },
    });
    box = new SecretBox(gw.gateway.secrets.encryptionKey);
    contents = new ExportContents({ db: gw.gateway.database.db, box });
    a = await populateAccount(gw, { label: 'exp-a', key: gw.apiKey, userId: gw.userId, email: 'owner@example.com' });
    b = await otherAccount(gw, 'exp-b');
  }, 120_000);
  afterAll(() => gw?.close());

  it('is for account keys only, and runs one job per account at a time', async () => {
    expect((await api('/v1/account/export', { method: 'POST', key: a.agentKey })).status).toBe(403);
    expect((await api('/v1/account/export', { method: 'POST', key: null })).status).toBe(401);
    const first = await quietJob();
    expect(await quietJob()).toBe(first);
    const status = (await (await api(`/v1/account/exports/${first}`)).json()) as AccountExport;
    expect(status).toMatchObject({ id: first, status: 'queued', messages_done: 0 });
    expect(status.messages_total).toBeGreaterThan(5);
    expect((await api(`/v1/account/exports/${first}`, { key: b.accountKey })).status).toBe(404);
    expect((await api(`/v1/account/exports/${first}/download`)).status).toBe(409);
    await worker().sweepOnce();
    expect(((await (await api(`/v1/account/exports/${first}`)).json()) as AccountExport).status).toBe('done');
  });

  it('round-trips: every .eml is the stored message, and re-imported over SMTP it is stored byte for byte', async () => {
    const res = await api('/v1/account/export', { method: 'POST' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as AccountExport;
    const done = await until('the export done', async () => {
      const s = (await (await api(`/v1/account/exports/${id}`)).json()) as AccountExport;
      return s.status === 'done' ? s : null;
    });
    expect(done.messages_done).toBe(done.messages_total);
    archiveBytes = await download(id);
    expect(done.size_bytes).toBe(archiveBytes.length);
    archive = await untar(archiveBytes);

    for (const name of ['manifest.json', 'account.json', 'agents.json', 'api-keys.json', 'webhooks.json', 'domains.json', 'lists.json', 'conversations/000001.json', 'contacts/000001.json', 'events/000001.json', 'reviews/000001.json']) {
      expect(archive.has(name), name).toBe(true);
    }
    const manifest = JSON.parse(archive.get('manifest.json')!.toString()) as { format: string; version: number; counts: Record<string, number> };
    expect(manifest).toMatchObject({ format: 'e2a-export', version: 1, counts: { messages: done.messages_total, agents: 3 } });

    // Every message a mailbox shows: the .eml is what GET …/raw serves, less its signed claim lines.
    let compared = 0;
    for (const agent of [a.bot, a.peer, a.spare]) {
      const listing = (await (await api(`/v1/agents/${agent}/messages?limit=200`)).json()) as { items: Array<{ id: string }> };
      for (const { id: messageId } of listing.items) {
        const served = await api(`/v1/agents/${agent}/messages/${messageId}/raw`);
        if (served.status !== 200) continue; // outbound mail not composed yet has no RFC 5322 form
        const eml = archive.get(`agents/${agent}/messages/${messageId}.eml`);
        expect(eml, `${agent} ${messageId}`).toBeDefined();
        expect(eml!.equals(withoutClaims(Buffer.from(await served.arrayBuffer()))), `${agent} ${messageId}`).toBe(true);
        expect(JSON.parse(archive.get(`agents/${agent}/messages/${messageId}.json`)!.toString())).toMatchObject({ id: messageId, agent_address: agent, eml: `${messageId}.eml` });
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(5);
    // Mail held for review is the account's too, kept apart from the mailbox.
    const held = [...archive.keys()].filter((n) => n.startsWith(`agents/${a.spare}/quarantine/`) && n.endsWith('.eml'));
    expect(held).toHaveLength(1);
    expect(archive.get(held[0]!)!.toString()).toContain(a.subjects.at(-1)!);

    // Re-import: the .eml delivered again is stored as it is, beneath the new hop's trace field.
    const eml = archive.get(`agents/${a.bot}/messages/${a.messageId}.eml`)!;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [a.peer], eml);
    const copy = await until('the re-imported copy', () =>
      gw.gateway.database.db
        .selectFrom('messages as m')
        .innerJoin('agents as ag', 'ag.id', 'm.agent_id')
        .innerJoin('message_blobs as bl', 'bl.id', 'm.blob_id')
        .select(['bl.raw'])
        .where('ag.address', '=', a.peer)
        .where('m.subject', '=', a.subjects[0]!)
        .executeTakeFirst(),
    );
    const stored = box.open(copy.raw!);
    // RFC 8601 §5: a receiver removes Authentication-Results fields that carry its own authserv-id
    // and adds its own verdict, so the .eml's verdict from the first hop is replaced; nothing else is.
    const ours = (raw: Buffer) => ownVerdictsRemoved(raw, 'mx.agents.test');
    const [again, original] = [ours(stored), ours(eml)];
    expect(again.subarray(again.length - original.length).equals(original)).toBe(true);
    const added = fieldNames(again.subarray(0, again.length - original.length));
    expect(added).toEqual(['received']);
    expect(fieldNames(stored).filter((f) => f === 'authentication-results')).toHaveLength(1);
  });

  it('holds no secret and nothing of the other account', async () => {
    const db = gw.gateway.database.db;
    const keyHashes = (await db.selectFrom('api_keys').select('key_hash').execute()).map((k) => k.key_hash);
    const text = archiveBytes.toString('latin1');
    const secrets = [a.webhookSecret, b.webhookSecret, gw.apiKey, a.agentKey, b.accountKey, b.agentKey, ...keyHashes, createHash('sha256').update(gw.apiKey).digest('hex')];
    expect(secrets.filter((s) => text.includes(s))).toEqual([]);
    const bNames = [b.userId, b.email, b.bot, b.peer, b.spare, `${b.label}-list`, `${b.label} hook`, `${b.label} card`, ...b.subjects, ...(await db.selectFrom('agents').select('id').where('user_id', '=', b.userId).execute()).map((r) => r.id)];
    expect(bNames.filter((s) => text.includes(s))).toEqual([]);
    // The secrets exist: the search would have found them had they been written.
    expect(text).toContain(a.subjects[0]!);
    expect(JSON.parse(archive.get('webhooks.json')!.toString())[0]).not.toHaveProperty('secret');
    expect(JSON.parse(archive.get('api-keys.json')!.toString())[0]).not.toHaveProperty('key_hash');
  });

  it('resumes a job whose worker died half-way, into the same archive an uninterrupted run makes', async () => {
    const whole = await quietJob();
    await worker().sweepOnce();
    const interrupted = await quietJob();
    // The first worker writes two batches and is gone: no release, its lease just stops being renewed.
    expect((await worker(60_000).sweepOnce({ maxBatches: 2 })).batches).toBe(2);
    const halfway = (await (await api(`/v1/account/exports/${interrupted}`)).json()) as AccountExport;
    expect(halfway.status).toBe('running');
    // Before the lease lapses nobody else may take the job…
    expect((await worker().sweepOnce()).batches).toBe(0);
    // …after, the next worker resumes at the committed cursor.
    clock.advance(60_001);
    const resumed = await worker().sweepOnce();
    expect(resumed.finished).toEqual([interrupted]);
    const chunks = await gw.gateway.database.db.selectFrom('account_export_chunks').select('seq').where('export_id', '=', interrupted).orderBy('seq').execute();
    expect(chunks.map((c) => c.seq)).toEqual([...chunks.keys()]);

    const [one, other] = [await untar(await download(whole)), await untar(await download(interrupted))];
    expect([...other.keys()]).toEqual([...one.keys()]);
    const manifest = (m: Map<string, Buffer>) => ({ ...(JSON.parse(m.get('manifest.json')!.toString()) as Record<string, unknown>), export_id: null, created_at: null });
    expect(manifest(other)).toEqual(manifest(one));
    for (const [name, body] of one) if (name !== 'manifest.json') expect(other.get(name)!.equals(body), name).toBe(true);
  });

  it('deletes a finished archive after exports.retention_hours', async () => {
    const id = (await (await api('/v1/account/exports')).json() as { items: AccountExport[] }).items.find((e) => e.status === 'done')!.id;
    clock.advance(RETENTION_HOURS * 3600_000 + 1);
    expect((await worker().sweepOnce()).expired).toBeGreaterThan(0);
    expect(((await (await api(`/v1/account/exports/${id}`)).json()) as AccountExport).status).toBe('expired');
    expect((await api(`/v1/account/exports/${id}/download`)).status).toBe(410);
    expect(await gw.gateway.database.db.selectFrom('account_export_chunks').select('seq').where('export_id', '=', id).execute()).toEqual([]);
  });
});
