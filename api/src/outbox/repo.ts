/** SQL for the local outbox (outbox/outbox.ts); the raw message is stored sealed. */
import type { Database } from '../db/database.js';
import type { OutboxTable } from '../db/schema.js';

/** An outbox row as listed: everything but the raw message and the owner. */
export type OutboxRow = Omit<OutboxTable, 'raw' | 'recipients' | 'created_at' | 'user_id'> & { recipients: unknown; created_at: Date | string };

const SUMMARY = ['id', 'source', 'source_id', 'agent_address', 'mail_from', 'recipients', 'subject', 'size_bytes', 'created_at'] as const;

export class OutboxRepo {
  constructor(private readonly db: Database) {}

  /** Stores a capture unless its source was captured already (the first one is kept). */
  async insert(row: {
    id: string;
    user_id: string | null;
    source: OutboxTable['source'];
    source_id: string;
    agent_address: string | null;
    mail_from: string;
    recipients: string;
    subject: string;
    raw: Uint8Array;
    size_bytes: number;
    created_at: Date;
  }): Promise<void> {
    await this.db.insertInto('outbox').values(row).onConflict((oc) => oc.columns(['source', 'source_id']).doNothing()).execute();
  }

  /** The account's mail, newest first (the id is the cursor). */
  async list(userId: string, opts: { limit: number; beforeId?: string | undefined }): Promise<OutboxRow[]> {
    let q = this.db.selectFrom('outbox').select(SUMMARY).where('user_id', '=', userId);
    if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
    return (await q.orderBy('id', 'desc').limit(opts.limit + 1).execute()) as OutboxRow[];
  }

  /** One of the account's captures with its sealed raw message. */
  async find(userId: string, id: string): Promise<{ row: OutboxRow; raw: Uint8Array } | undefined> {
    const found = await this.db.selectFrom('outbox').select([...SUMMARY, 'raw']).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!found) return undefined;
    const { raw, ...row } = found;
    return { row: row as OutboxRow, raw };
  }
}
