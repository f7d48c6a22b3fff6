/**
 * What an export archive holds, section by section, and the reads that fill it (docs/DATA.md
 * "Export format"). Each call of `nextPiece` produces one bounded batch of entries and the cursor
 * after it; the job commits both together, so a crash resumes at the next batch.
 *
 *   manifest.json                       format, version, account, counts (written last)
 *   account.json, agents.json, api-keys.json, webhooks.json, domains.json, lists.json
 *   conversations/NNNNNN.json, contacts/NNNNNN.json, reviews/NNNNNN.json, events/NNNNNN.json
 *   agents/<address>/messages/<id>.eml  the stored bytes, decrypted, exactly as accepted or sent
 *   agents/<address>/messages/<id>.json what the gateway knows about the message
 *   agents/<address>/quarantine/…       the same for mail no mailbox shows (held, rejected, blocked)
 *
 * Never in it: secrets (webhook signing secrets, key hashes, the claims key, DKIM private keys,
 * contact codes, review and sign-in tokens), nor anything of another account.
 */
import { sql } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { toBuffer } from '../db/database.js';
import { HIDDEN_STATUSES } from '../messages/visibility.js';
import { archivePath, jsonFile, type ArchiveEntry } from './archive.js';

/** Rows per JSON page. */
const PAGE_ROWS = 1000;
/** Messages per batch, and the raw bytes a batch aims to stay under (a bigger message goes alone). */
const MESSAGES_PER_BATCH = 200;
const BATCH_BYTES = 8 * 1024 * 1024;

export const SECTIONS = ['account', 'conversations', 'contacts', 'reviews', 'events', 'messages', 'manifest'] as const;
type Section = (typeof SECTIONS)[number];

/** Where the next batch starts; stored with the job (account_exports.cursor). */
export interface ExportCursor {
  section: number;
  /** The last key written in the current section (an id, or an event's seq). */
  after: string | null;
  /** messages: the agent being written. */
  agent: string | null;
  /** JSON pages written in the current section. */
  page: number;
  /** Entries written per kind, for the manifest. */
  counts: Record<string, number>;
}

export const START: ExportCursor = { section: 0, after: null, agent: null, page: 0, counts: {} };

export interface ExportJobRef {
  id: string;
  user_id: string;
  created_at: Date;
}

export interface Piece {
  entries: ArchiveEntry[];
  cursor: ExportCursor;
  /** Messages this piece wrote. */
  messages: number;
  /** The archive ends with this piece. */
  last: boolean;
}

export class ExportContents {
  constructor(private readonly deps: { db: Database; box: SecretBox }) {}

  /** Messages the account holds now: the job's progress total. */
  async messageCount(userId: string): Promise<number> {
    const row = await this.deps.db
      .selectFrom('messages as m')
      .innerJoin('agents as a', 'a.id', 'm.agent_id')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('a.user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The next non-empty batch after `cursor` (or the final one). */
  async nextPiece(job: ExportJobRef, cursor: ExportCursor): Promise<Piece> {
    let at = cursor;
    for (;;) {
      const section: Section = SECTIONS[at.section]!;
      const piece = await this.read(section, job, at);
      if (piece.entries.length > 0 || piece.last) return piece;
      at = piece.cursor;
    }
  }

  private read(section: Section, job: ExportJobRef, at: ExportCursor): Promise<Piece> {
    switch (section) {
      case 'account':
        return this.account(job, at);
      case 'conversations':
        return this.jsonPage(job, at, 'conversations', (after) => this.conversations(job.user_id, after));
      case 'contacts':
        return this.jsonPage(job, at, 'contacts', (after) => this.contacts(job.user_id, after));
      case 'reviews':
        return this.jsonPage(job, at, 'reviews', (after) => this.reviews(job.user_id, after));
      case 'events':
        return this.jsonPage(job, at, 'events', (after) => this.events(job.user_id, after));
      case 'messages':
        return this.messages(job, at);
      case 'manifest':
        return Promise.resolve(this.manifest(job, at));
    }
  }

  private next(at: ExportCursor, counts: Record<string, number>): ExportCursor {
    return { section: at.section + 1, after: null, agent: null, page: 0, counts };
  }

  private async account(job: ExportJobRef, at: ExportCursor): Promise<Piece> {
    const { db } = this.deps;
    const userId = job.user_id;
    const user = await db.selectFrom('users').select(['id', 'email', 'created_at']).where('id', '=', userId).executeTakeFirstOrThrow();
    const agents = await db
      .selectFrom('agents as a')
      .leftJoin('agent_cards as c', 'c.agent_id', 'a.id')
      .select(['a.id', 'a.address', 'a.domain', 'a.display_name', 'a.protection', 'a.created_at', 'a.expires_at', 'c.visibility as card_visibility', 'c.card'])
      .where('a.user_id', '=', userId)
      .orderBy('a.id')
      .execute();
    const keys = await db
      .selectFrom('api_keys as k')
      .leftJoin('agents as a', 'a.id', 'k.agent_id')
      .select(['k.id', 'k.name', 'k.prefix', 'k.scope', 'a.address as agent_address', 'k.created_at', 'k.last_used_at', 'k.revoked_at'])
      .where('k.user_id', '=', userId)
      .orderBy('k.id')
      .execute();
    const webhooks = await db
      .selectFrom('webhooks')
      .select(['id', 'url', 'events', 'filter_agent_addresses', 'filter_conversation_ids', 'description', 'enabled', 'disabled_reason', 'failing_since', 'last_success_at', 'created_at', 'updated_at'])
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    const domains = await db.selectFrom('domains').select(['id', 'name', 'verified_at', 'created_at']).where('user_id', '=', userId).orderBy('id').execute();
    const lists = await db
      .selectFrom('lists as l')
      .select(['l.id', 'l.address', 'l.domain', 'l.name', 'l.description', 'l.post_policy', 'l.created_at', 'l.updated_at'])
      .select(() => [
        sql<string[]>`coalesce((SELECT json_agg(a.address ORDER BY a.address) FROM list_members m JOIN agents a ON a.id = m.agent_id WHERE m.list_id = l.id), '[]')`.as('members'),
      ])
      .where('l.user_id', '=', userId)
      .orderBy('l.id')
      .execute();
    const mtime = new Date(job.created_at);
    const file = (name: string, value: unknown): ArchiveEntry => ({ name: archivePath(job.id, name), body: jsonFile(value), mtime });
    const entries = [
      file('account.json', { id: user.id, email: user.email, created_at: iso(user.created_at) }),
      file(
        'agents.json',
        agents.map((a) => ({
          id: a.id,
          address: a.address,
          domain: a.domain,
          display_name: a.display_name,
          created_at: iso(a.created_at),
          expires_at: iso(a.expires_at),
          protection: a.protection,
          card: a.card ? { visibility: a.card_visibility, ...(a.card as Record<string, unknown>) } : null,
        })),
      ),
      // A key's hash and a webhook's signing secret stay out: the archive is data, not credentials.
      file('api-keys.json', keys.map((k) => ({ ...k, created_at: iso(k.created_at), last_used_at: iso(k.last_used_at), revoked_at: iso(k.revoked_at) }))),
      file(
        'webhooks.json',
        webhooks.map((w) => ({ ...w, url: withoutUserinfo(w.url), failing_since: iso(w.failing_since), last_success_at: iso(w.last_success_at), created_at: iso(w.created_at), updated_at: iso(w.updated_at) })),
      ),
      file('domains.json', domains.map((d) => ({ ...d, verified_at: iso(d.verified_at), created_at: iso(d.created_at) }))),
      file('lists.json', lists.map((l) => ({ ...l, created_at: iso(l.created_at), updated_at: iso(l.updated_at) }))),
    ];
    const counts = { ...at.counts, agents: agents.length, api_keys: keys.length, webhooks: webhooks.length, domains: domains.length, lists: lists.length };
    return { entries, cursor: this.next(at, counts), messages: 0, last: false };
  }

  /** One page of a JSON section: `<name>/000001.json`, …; an empty read ends the section. */
  private async jsonPage(job: ExportJobRef, at: ExportCursor, name: string, read: (after: string | null) => Promise<Array<{ key: string; value: unknown }>>): Promise<Piece> {
    const rows = await read(at.after);
    if (rows.length === 0) return { entries: [], cursor: this.next(at, at.counts), messages: 0, last: false };
    const page = at.page + 1;
    const entry = { name: archivePath(job.id, name, `${String(page).padStart(6, '0')}.json`), body: jsonFile(rows.map((r) => r.value)), mtime: new Date(job.created_at) };
    const counts = { ...at.counts, [name]: (at.counts[name] ?? 0) + rows.length };
    return { entries: [entry], cursor: { ...at, after: rows[rows.length - 1]!.key, page, counts }, messages: 0, last: false };
  }

  private async conversations(userId: string, after: string | null) {
    let q = this.deps.db
      .selectFrom('conversations as c')
      .innerJoin('agents as a', 'a.id', 'c.agent_id')
      .select(['c.id', 'a.address as agent_address', 'c.subject', 'c.message_count', 'c.created_at', 'c.last_message_at'])
      .where('a.user_id', '=', userId);
    if (after) q = q.where('c.id', '>', after);
    const rows = await q.orderBy('c.id').limit(PAGE_ROWS).execute();
    return rows.map((r) => ({ key: r.id, value: { ...r, created_at: iso(r.created_at), last_message_at: iso(r.last_message_at) } }));
  }

  private async contacts(userId: string, after: string | null) {
    // The verification code's hash stays out: it is a credential while the request is pending.
    let q = this.deps.db
      .selectFrom('contacts as c')
      .innerJoin('agents as a', 'a.id', 'c.agent_id')
      .select(['c.id', 'c.address as agent_address', 'c.peer_address', 'c.note', 'c.state', 'c.expires_at', 'c.created_at', 'c.approved_at', 'c.revoked_at'])
      .where('a.user_id', '=', userId);
    if (after) q = q.where('c.id', '>', after);
    const rows = await q.orderBy('c.id').limit(PAGE_ROWS).execute();
    return rows.map((r) => ({ key: r.id, value: { ...r, expires_at: iso(r.expires_at), created_at: iso(r.created_at), approved_at: iso(r.approved_at), revoked_at: iso(r.revoked_at) } }));
  }

  private async reviews(userId: string, after: string | null) {
    let q = this.deps.db
      .selectFrom('reviews as r')
      .innerJoin('agents as a', 'a.id', 'r.agent_id')
      .select(['r.id', 'a.address as agent_address', 'r.message_id', 'r.direction', 'r.status', 'r.reasons', 'r.expires_at', 'r.on_expiry', 'r.decided_at', 'r.decided_by', 'r.decision_note', 'r.edits', 'r.created_at'])
      .where('r.user_id', '=', userId);
    if (after) q = q.where('r.id', '>', after);
    const rows = await q.orderBy('r.id').limit(PAGE_ROWS).execute();
    return rows.map((r) => ({ key: r.id, value: { ...r, expires_at: iso(r.expires_at), decided_at: iso(r.decided_at), created_at: iso(r.created_at) } }));
  }

  /** Events in the order they happened (seq; served by events_user_seq). */
  private async events(userId: string, after: string | null) {
    let q = this.deps.db
      .selectFrom('events as e')
      .leftJoin('agents as a', 'a.id', 'e.agent_id')
      .select(['e.seq', 'e.id', 'e.type', 'e.schema_version', 'e.created_at', 'a.address as agent_address', 'e.data', 'e.acked_at'])
      .where('e.user_id', '=', userId);
    if (after) q = q.where('e.seq', '>', after);
    const rows = await q.orderBy('e.seq').limit(PAGE_ROWS).execute();
    return rows.map(({ seq, ...r }) => ({ key: String(seq), value: { ...r, created_at: iso(r.created_at), acked_at: iso(r.acked_at) } }));
  }

  /**
   * A batch of messages, agent by agent (each agent's in id order, served by messages_agent_id):
   * the stored raw bytes as .eml and a .json beside each. Outbound mail not yet composed has no raw
   * form: its .json says `"eml": null`.
   */
  private async messages(job: ExportJobRef, at: ExportCursor): Promise<Piece> {
    const { db, box } = this.deps;
    let agent = at.agent ? await db.selectFrom('agents').select(['id', 'address']).where('id', '=', at.agent).executeTakeFirst() : undefined;
    let after = agent ? at.after : null;
    for (;;) {
      if (!agent) {
        let q = db.selectFrom('agents').select(['id', 'address']).where('user_id', '=', job.user_id);
        if (at.agent) q = q.where('id', '>', at.agent);
        agent = await q.orderBy('id').limit(1).executeTakeFirst();
        after = null;
        if (!agent) return { entries: [], cursor: this.next(at, at.counts), messages: 0, last: false };
      }
      let q = db.selectFrom('messages').select(['id', 'size_bytes']).where('agent_id', '=', agent.id);
      if (after) q = q.where('id', '>', after);
      const candidates = await q.orderBy('id').limit(MESSAGES_PER_BATCH).execute();
      if (candidates.length === 0) {
        at = { ...at, agent: agent.id };
        agent = undefined;
        continue;
      }
      let bytes = 0;
      const ids: string[] = [];
      for (const c of candidates) {
        if (ids.length > 0 && bytes + c.size_bytes > BATCH_BYTES) break;
        ids.push(c.id);
        bytes += c.size_bytes;
      }
      const rows = await db
        .selectFrom('messages as m')
        .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
        .select([
          'm.id',
          'm.direction',
          'm.status',
          'm.held',
          'm.conversation_id',
          'm.message_id_header',
          'm.in_reply_to',
          'm.references_header',
          'm.from_address',
          'm.from_name',
          'm.to_addresses',
          'm.cc_addresses',
          'm.bcc_addresses',
          'm.reply_to_addresses',
          'm.subject',
          'm.priority',
          'm.verified',
          'm.authentication',
          'm.envelope',
          'm.delivery',
          'm.size_bytes',
          'm.received_at',
          'm.read_at',
          'm.sent_at',
          'm.expires_at',
          'm.blob_id',
          'b.raw',
        ])
        .where('m.id', 'in', ids)
        .orderBy('m.id')
        .execute();
      const attachments = await db
        .selectFrom('attachments')
        .select(['blob_id', 'idx', 'filename', 'content_type', 'size_bytes', 'content_id', 'disposition', 'sha256'])
        .where('blob_id', 'in', [...new Set(rows.map((r) => r.blob_id))])
        .orderBy('idx')
        .execute();
      const entries: ArchiveEntry[] = [];
      let quarantined = 0;
      for (const row of rows) {
        // Mail no mailbox shows goes apart, so re-importing a mailbox never takes quarantined mail in.
        const hidden = row.held || (HIDDEN_STATUSES as readonly string[]).includes(row.status);
        if (hidden) quarantined++;
        const folder = hidden ? 'quarantine' : 'messages';
        const mtime = new Date(row.received_at);
        const eml = row.raw ? `${row.id}.eml` : null;
        if (row.raw) entries.push({ name: archivePath(job.id, 'agents', agent.address, folder, eml!), body: box.open(toBuffer(row.raw)), mtime });
        const { raw: _raw, blob_id, references_header, ...meta } = row;
        entries.push({
          name: archivePath(job.id, 'agents', agent.address, folder, `${row.id}.json`),
          body: jsonFile({
            ...meta,
            agent_address: agent.address,
            references: references_header,
            received_at: iso(row.received_at),
            read_at: iso(row.read_at),
            sent_at: iso(row.sent_at),
            expires_at: iso(row.expires_at),
            eml,
            attachments: attachments.filter((a) => a.blob_id === blob_id).map(({ blob_id: _b, idx, ...a }) => ({ index: idx, ...a })),
          }),
          mtime,
        });
      }
      const counts = { ...at.counts, messages: (at.counts.messages ?? 0) + rows.length, quarantined: (at.counts.quarantined ?? 0) + quarantined };
      return { entries, cursor: { ...at, agent: agent.id, after: rows[rows.length - 1]!.id, counts }, messages: rows.length, last: false };
    }
  }

  private manifest(job: ExportJobRef, at: ExportCursor): Piece {
    const body = jsonFile({
      format: 'e2a-export',
      version: 1,
      export_id: job.id,
      account_id: job.user_id,
      created_at: iso(job.created_at),
      counts: at.counts,
      layout: {
        'account.json': 'the account',
        'agents.json': 'its agents, with their protection settings and capability cards',
        'api-keys.json': 'its API keys (name, prefix, scope; never the key or its hash)',
        'webhooks.json': 'its webhooks (never the signing secrets)',
        'domains.json': 'its domain claims',
        'lists.json': 'its lists and their members',
        'conversations/': 'conversations, 1000 per file',
        'contacts/': 'contact requests and grants, 1000 per file',
        'reviews/': 'reviews of held mail, 1000 per file',
        'events/': 'events in the order they happened, 1000 per file',
        'agents/<address>/messages/<id>.eml': 'each message exactly as stored (RFC 5322), with <id>.json beside it',
        'agents/<address>/quarantine/': 'the same for mail held, rejected or blocked by a gate',
      },
    });
    return { entries: [{ name: archivePath(job.id, 'manifest.json'), body, mtime: new Date(job.created_at) }], cursor: { ...at, section: SECTIONS.length }, messages: 0, last: true };
  }
}

/** A URL's user and password are a credential for the receiver, not the account's data. */
function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

function iso(d: Date | string | null): string | null {
  return d === null ? null : new Date(d).toISOString();
}
