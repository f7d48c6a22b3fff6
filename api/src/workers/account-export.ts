/**
 * Builds export archives (docs/DATA.md "Export"). Safe across replicas: a job is leased to one
 * worker (exports/repo.ts claimExport, FOR UPDATE SKIP LOCKED) and every batch commits its chunk,
 * the cursor after it and a renewed lease in one transaction, conditional on still holding the
 * lease. A worker that dies leaves its lease to lapse (`leaseMs` after the last batch) and the next
 * claim resumes at the committed cursor; a worker that stalled past its lease finds the job taken
 * over and stops without writing. A job whose batches keep failing fails after `maxAttempts`.
 *
 * The same sweep deletes finished archives past their retention (exports.retention_hours).
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { tarPiece } from '../exports/archive.js';
import { START, type ExportContents, type ExportCursor } from '../exports/contents.js';
import { appendChunk, claimExport, expiredExports, expireExport, recordFailure, type ClaimedExport } from '../exports/repo.js';
import { randomToken } from '../ids.js';
import { drainInBatches, Sweeper } from './sweeper.js';

export interface AccountExportDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  contents: ExportContents;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  pollIntervalMs: number;
  /** How long a finished archive is kept. */
  retentionMs: number;
  /** A claim lasts this long past each committed batch. */
  leaseMs?: number;
  maxAttempts?: number;
}

/** What one sweep did: batches written per job, jobs finished, archives expired. */
export interface ExportSweep {
  batches: number;
  finished: string[];
  expired: number;
}

export class AccountExportWorker extends Sweeper {
  private readonly leaseMs: number;
  private readonly maxAttempts: number;

  constructor(private readonly deps: AccountExportDeps) {
    super({ logger: deps.logger, pollIntervalMs: deps.pollIntervalMs, name: 'account export' });
    this.leaseMs = deps.leaseMs ?? 60_000;
    this.maxAttempts = deps.maxAttempts ?? 3;
  }

  /** Runs every claimable job to its end (or `maxBatches` batches, for tests that stop a job half-way), then expires old archives. */
  async sweepOnce(opts: { maxBatches?: number } = {}): Promise<ExportSweep> {
    const result: ExportSweep = { batches: 0, finished: [], expired: 0 };
    let budget = opts.maxBatches ?? Infinity;
    while (budget > 0) {
      const now = this.deps.clock.now();
      const owner = randomToken(12);
      const job = await claimExport(this.deps.db, owner, now, new Date(now.getTime() + this.leaseMs));
      if (!job) break;
      if (job.attempts > this.maxAttempts) {
        await recordFailure(this.deps.db, { id: job.id, owner }, `gave up after ${this.maxAttempts} attempts`, true);
        continue;
      }
      const run = await this.run(job, budget);
      result.batches += run.batches;
      budget -= run.batches;
      if (run.finished) result.finished.push(job.id);
      if (!run.finished && run.batches === 0) break;
    }
    result.expired = await drainInBatches({ db: this.deps.db, clock: this.deps.clock, batchSize: 20 }, expiredExports, (tx, row) => expireExport(tx, row.id));
    return result;
  }

  /** Writes batches of one job until it is done, the budget is spent, or the lease is lost. */
  private async run(job: ClaimedExport, budget: number): Promise<{ batches: number; finished: boolean }> {
    const { db, box, clock, contents, logger } = this.deps;
    let cursor: ExportCursor = Object.keys(job.cursor).length === 0 ? START : job.cursor;
    let seq = job.chunks;
    let batches = 0;
    while (batches < budget) {
      try {
        const piece = await contents.nextPiece(job, cursor);
        const bytes = await tarPiece(piece.entries, { last: piece.last });
        const now = clock.now();
        const kept = await db.transaction().execute((tx) =>
          appendChunk(tx, { id: job.id, owner: job.lease_owner, seq }, {
            sealed: box.seal(bytes),
            size: bytes.length,
            cursor: piece.cursor,
            messages: piece.messages,
            last: piece.last,
            now,
            leaseUntil: new Date(now.getTime() + this.leaseMs),
            expiresAt: new Date(now.getTime() + this.deps.retentionMs),
          }),
        );
        if (!kept) {
          logger.warn({ export: job.id }, 'export lease lost to another worker; it continues the job');
          return { batches, finished: false };
        }
        batches++;
        seq++;
        cursor = piece.cursor;
        if (piece.last) {
          logger.info({ export: job.id, chunks: seq }, 'export archive finished');
          return { batches, finished: true };
        }
      } catch (err) {
        logger.error({ err, export: job.id }, 'export batch failed; the job is retried');
        await recordFailure(db, { id: job.id, owner: job.lease_owner }, (err as Error).message, job.attempts >= this.maxAttempts);
        return { batches, finished: false };
      }
    }
    return { batches, finished: false };
  }

  protected async sweep(): Promise<void> {
    await this.sweepOnce();
  }
}
