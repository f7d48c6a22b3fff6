/**
 * Saved drafts: a send's fields kept for later (sealed, like every body and attachment), then sent
 * through the outbound service exactly as POST …/messages, or …/messages/{id}/reply when the draft
 * answers a message, would send them: the same validation, limits, gate and review. The draft is
 * deleted in the transaction that stores the accepted message, so it is sent once even when two
 * requests send it at the same moment; a send the gate blocked keeps it (docs/OUTBOUND.md).
 *
 * Saving runs the send's checks except the gate (OutboundService.check), so a draft never holds
 * what could not be sent; an empty draft is fine, recipients are required only to send it.
 */
import type { Draft, DraftPage, DraftRequest, ListDraftsQuery } from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Accepted, AgentForSend, OutboundService, SendRequest } from '../outbound/service.js';
import { decodeCursor, toPage } from '../paging.js';
import { SavedDraftsRepo, type DraftColumns } from './repo.js';

type DraftFields = z.output<typeof DraftRequest>;

export interface SavedDraftsDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  outbound: OutboundService;
  /** outbound.max_drafts_per_agent. */
  maxPerAgent: number;
}

const invalid = (path: string, message: string) => new AppError('validation_error', `${path} ${message}`, [{ path, message }]);

/** The send a draft stands for: a new message, or a reply to `in_reply_to` (an empty subject takes the reply's default). */
export function sendOfDraft(fields: DraftFields): SendRequest {
  const { in_reply_to, reply_all, ...send } = fields;
  if (!in_reply_to) return { kind: 'send', req: send };
  const { conversation_id: _joinsTheOriginals, subject, ...rest } = send;
  return { kind: 'reply', originalId: in_reply_to, req: { ...rest, reply_all: reply_all ?? false, ...(subject ? { subject } : {}) } };
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export class SavedDraftsService {
  private readonly repo: SavedDraftsRepo;

  constructor(private readonly deps: SavedDraftsDeps) {
    this.repo = new SavedDraftsRepo(deps.db);
  }

  async create(agent: AgentForSend, fields: DraftFields): Promise<Draft> {
    const columns = await this.columns(agent, fields);
    const id = newId('draft');
    const at = columns.updated_at as Date;
    if (!(await this.repo.insertUnderCap({ id, agent_id: agent.id, created_at: at, ...columns }, this.deps.maxPerAgent))) {
      throw new AppError('conflict', `agent ${agent.address} already holds outbound.max_drafts_per_agent = ${this.deps.maxPerAgent} drafts; send or delete some first`);
    }
    return this.toDraft(agent, id, fields, at, at);
  }

  /** PUT: the draft becomes `fields`; what they omit takes its default, as on a send. */
  async replace(agent: AgentForSend, id: string, fields: DraftFields): Promise<Draft> {
    const columns = await this.columns(agent, fields);
    const row = await this.repo.replace(agent.id, id, columns);
    if (!row) throw notFound(`draft ${id}`);
    return this.toDraft(agent, id, fields, row.created_at, columns.updated_at as Date);
  }

  async get(agent: AgentForSend, id: string): Promise<Draft> {
    const row = await this.repo.get(agent.id, id);
    if (!row) throw notFound(`draft ${id}`);
    return this.toDraft(agent, id, this.open(row.content), row.created_at, row.updated_at);
  }

  async list(agent: AgentForSend, query: ListDraftsQuery): Promise<DraftPage> {
    const rows = await this.repo.list(agent.id, { limit: query.limit, beforeId: query.cursor ? decodeCursor(query.cursor) : undefined });
    return toPage(rows, query.limit, (r) => ({
      id: r.id,
      agent_address: agent.address,
      to: r.to_addresses as DraftFields['to'],
      subject: r.subject,
      attachment_count: r.attachment_count,
      in_reply_to: r.in_reply_to,
      send_at: iso(r.send_at),
      created_at: iso(r.created_at)!,
      updated_at: iso(r.updated_at)!,
    }));
  }

  async delete(agent: AgentForSend, id: string): Promise<void> {
    if (!(await this.repo.delete(agent.id, id))) throw notFound(`draft ${id}`);
  }

  /** Sends the draft as its send would be sent; accepted (queued, scheduled or held), it is gone. */
  async send(agent: AgentForSend, id: string): Promise<Accepted> {
    const row = await this.repo.get(agent.id, id);
    if (!row) throw notFound(`draft ${id}`);
    const send = sendOfDraft(this.open(row.content));
    const consume = async (tx: Database) => {
      // Either way this acceptance rolls back: nothing is sent twice, nor a version nobody sends.
      const outcome = await SavedDraftsRepo.consume(tx, agent.id, id, new Date(row.updated_at));
      if (outcome === 'gone') throw notFound(`draft ${id}`);
      if (outcome === 'changed') throw new AppError('conflict', `draft ${id} was changed while it was being sent; send it again to send the new version`);
    };
    const { outbound } = this.deps;
    return send.kind === 'reply' ? outbound.reply(agent, send.originalId, send.req, { consume }) : outbound.send(agent, send.req, { consume });
  }

  /** Checks the fields as a send would (gate aside) and seals them. */
  private async columns(agent: AgentForSend, fields: DraftFields): Promise<DraftColumns> {
    if (fields.in_reply_to && fields.conversation_id !== undefined) {
      throw invalid('body.conversation_id', 'cannot go with in_reply_to: a reply joins the conversation of the message it answers');
    }
    if (fields.reply_all !== undefined && !fields.in_reply_to) throw invalid('body.reply_all', 'needs in_reply_to, the message to reply to');
    await this.deps.outbound.check(agent, sendOfDraft(fields));
    const content = this.deps.box.seal(JSON.stringify(fields));
    return {
      subject: fields.subject,
      to_addresses: json(fields.to),
      attachment_count: fields.attachments.length,
      in_reply_to: fields.in_reply_to ?? null,
      send_at: fields.send_at ? new Date(fields.send_at) : null,
      content,
      size_bytes: content.length,
      updated_at: this.deps.clock.now(),
    };
  }

  private open(content: Uint8Array): DraftFields {
    return JSON.parse(this.deps.box.open(content).toString('utf8')) as DraftFields;
  }

  private toDraft(agent: AgentForSend, id: string, fields: DraftFields, createdAt: Date | string, updatedAt: Date | string): Draft {
    return { id, agent_address: agent.address, ...fields, created_at: iso(createdAt)!, updated_at: iso(updatedAt)! };
  }
}
