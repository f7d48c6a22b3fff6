/**
 * The local outbox (outbound_smtp.mode outbox, the development default): mail that would leave the
 * gateway — agents' sends to outside addresses, review notifications, postmaster@ forwards — is
 * stored here, sealed, instead of sent, so a developer without an SMTP relay can still read it and
 * follow its links.
 *
 * Who sees what: an account key lists the mail its account caused — its agents' sends and the
 * gateway's mail about the account (review notifications). Mail with no account (postmaster@ and
 * abuse@ forwards to the operator) is stored with no owner and listed to nobody over the API; the
 * server logs each capture with its id. Agent-scoped keys see nothing: review notifications carry
 * approval links the agent must not read.
 */
import { htmlToText, parseMessage } from '@e2a/relay';
import type { ListOutboxQuery, OutboxItem, OutboxMessage, OutboxPage } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import type { OutboxTable } from '../db/schema.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { OutboxRepo, type OutboxRow } from './repo.js';

/** The delivery response recorded for each captured recipient. */
export const CAPTURED_RESPONSE = 'captured in the local outbox (outbound_smtp.mode outbox); nothing was sent';

export interface Capture {
  /** The account that caused the mail; null for the operator's own mail. */
  userId: string | null;
  source: OutboxTable['source'];
  sourceId: string;
  agentAddress: string | null;
  from: string;
  to: string[];
  subject: string;
  raw: Buffer;
}

/** http(s) URLs, ending before whitespace, quotes, angle brackets and closing punctuation. */
const URL_PATTERN = /https?:\/\/[^\s<>"'`)\]]+/g;

export function findLinks(text: string): string[] {
  const links = [...text.matchAll(URL_PATTERN)].map((m) => m[0].replace(/[.,;:!?]+$/, ''));
  return [...new Set(links)];
}

function item(row: OutboxRow): OutboxItem {
  const recipients = typeof row.recipients === 'string' ? (JSON.parse(row.recipients) as string[]) : (row.recipients as string[]);
  return {
    id: row.id,
    source: row.source,
    source_id: row.source_id,
    agent_address: row.agent_address,
    mail_from: row.mail_from,
    recipients,
    subject: row.subject,
    size_bytes: row.size_bytes,
    created_at: new Date(row.created_at).toISOString(),
  };
}

function requireAccount(principal: Principal): void {
  if (principal.scope !== 'account') {
    throw new AppError('forbidden', "the outbox holds the account's outgoing mail, review links included; agent-scoped keys cannot read it. Use an account key");
  }
}

export class Outbox {
  private readonly repo: OutboxRepo;

  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock }) {
    this.repo = new OutboxRepo(deps.db);
  }

  /** Stores the mail; a second capture of the same source keeps the first. Returns the outbox id. */
  async capture(mail: Capture): Promise<string> {
    const id = newId('outbox');
    await this.repo.insert({
      id,
      user_id: mail.userId,
      source: mail.source,
      source_id: mail.sourceId,
      agent_address: mail.agentAddress,
      mail_from: mail.from,
      recipients: JSON.stringify(mail.to),
      subject: mail.subject,
      raw: this.deps.box.seal(mail.raw),
      size_bytes: mail.raw.length,
      created_at: this.deps.clock.now(),
    });
    return id;
  }

  async list(principal: Principal, query: ListOutboxQuery): Promise<OutboxPage> {
    requireAccount(principal);
    const rows = await this.repo.list(principal.userId, { limit: query.limit, beforeId: query.cursor ? decodeCursor(query.cursor) : undefined });
    return toPage(rows, query.limit, item);
  }

  async get(principal: Principal, id: string): Promise<OutboxMessage> {
    const { row, raw } = await this.load(principal, id);
    const parsed = await parseMessage(raw);
    const text = parsed.text ?? (parsed.html === null ? null : htmlToText(parsed.html));
    const links = findLinks([text ?? '', parsed.html ?? ''].join('\n'));
    return { ...item(row), text, links, raw: raw.toString('utf8') };
  }

  async raw(principal: Principal, id: string): Promise<Buffer> {
    return (await this.load(principal, id)).raw;
  }

  private async load(principal: Principal, id: string): Promise<{ row: OutboxRow; raw: Buffer }> {
    requireAccount(principal);
    const found = await this.repo.find(principal.userId, id);
    if (!found) throw new AppError('not_found', `outbox message ${id} not found: list them with GET /v1/outbox`);
    return { row: found.row, raw: this.deps.box.open(found.raw) };
  }
}
