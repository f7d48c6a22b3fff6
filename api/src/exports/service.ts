/**
 * Account exports over the API (docs/DATA.md "Export"): start a job, watch its progress, download
 * the archive once it is done. Account keys and dashboard sessions only: an agent key is one
 * mailbox's credential and must not carry the whole account away. Another account's export is not
 * found, as everything of another tenant is.
 */
import type { AccountExport, AccountExportPage } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import { isoTime, type Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { toBuffer } from '../db/database.js';
import { AppError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, toPage } from '../paging.js';
import type { ExportContents } from './contents.js';
import { ExportsRepo, type ExportRow } from './repo.js';

export function toWireExport(row: ExportRow): AccountExport {
  return {
    id: row.id,
    status: row.status,
    messages_done: row.messages_done,
    messages_total: row.messages_total,
    size_bytes: Number(row.size_bytes),
    created_at: isoTime(row.created_at),
    completed_at: isoTime(row.completed_at),
    expires_at: isoTime(row.expires_at),
    error: row.error,
  };
}

/** A finished archive, ready to stream: its chunks in order, unsealed one at a time. */
export interface ExportDownload {
  id: string;
  size: number;
  chunks: AsyncIterable<Buffer>;
}

export class ExportsService {
  private readonly repo: ExportsRepo;

  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock; contents: ExportContents; wake: () => void }) {
    this.repo = new ExportsRepo(deps.db);
  }

  private requireAccount(principal: Principal): void {
    if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot export the account; use an account key');
  }

  /** Queues an export, or answers with the one already under way (one at a time per account). */
  async start(principal: Principal): Promise<AccountExport> {
    this.requireAccount(principal);
    const open = await this.repo.open(principal.userId);
    if (open) return toWireExport(open);
    const total = await this.deps.contents.messageCount(principal.userId);
    const row = await this.repo.insert({ id: newId('export'), user_id: principal.userId, messages_total: total, created_at: this.deps.clock.now() });
    this.deps.wake();
    return toWireExport(row);
  }

  async get(principal: Principal, id: string): Promise<AccountExport> {
    this.requireAccount(principal);
    return toWireExport(await this.find(principal, id));
  }

  async list(principal: Principal, opts: { limit: number; cursor?: string | undefined }): Promise<AccountExportPage> {
    this.requireAccount(principal);
    const rows = await this.repo.list(principal.userId, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, toWireExport);
  }

  /** The archive of a finished job; a job not finished, failed or expired answers why. */
  async download(principal: Principal, id: string): Promise<ExportDownload> {
    this.requireAccount(principal);
    const row = await this.find(principal, id);
    if (row.status === 'expired') throw new AppError('gone', `export ${id} expired at ${isoTime(row.expires_at)} and its archive was deleted; start a new one with POST /v1/account/export`);
    if (row.status === 'failed') throw new AppError('conflict', `export ${id} failed (${row.error ?? 'unknown error'}); start a new one with POST /v1/account/export`);
    if (row.status !== 'done') {
      throw new AppError('conflict', `export ${id} is ${row.status}: ${row.messages_done} of ${row.messages_total} messages written; GET /v1/account/exports/${id} shows progress, download once its status is done`);
    }
    const { box } = this.deps;
    const repo = this.repo;
    const count = row.chunks;
    return {
      id,
      size: Number(row.size_bytes),
      chunks: (async function* () {
        for (let seq = 0; seq < count; seq++) {
          const chunk = await repo.chunk(id, seq);
          // Expired (deleted) while being downloaded: the client sees a transfer shorter than its Content-Length.
          if (!chunk) throw new Error(`export ${id}: chunk ${seq} is gone`);
          yield box.open(toBuffer(chunk.data));
        }
      })(),
    };
  }

  private async find(principal: Principal, id: string): Promise<ExportRow> {
    const row = await this.repo.get(principal.userId, id);
    if (!row) throw notFound(`export ${id}`);
    return row;
  }
}
