/**
 * The hold-expiry sweeper: applies each lapsed hold's on_expiry (expired_approved /
 * expired_rejected, with the same effects as a reviewer's approve/reject). Safe across replicas:
 * each batch is claimed with FOR UPDATE SKIP LOCKED and decided by a conditional UPDATE on
 * status = 'pending', so concurrent sweepers never decide one hold twice. Polls only: expiry is
 * a matter of the clock, and no notification announces it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { ReviewDecider } from '../reviews/outcome.js';
import { lapsedReviews } from '../reviews/repo.js';
import { drainInBatches, Sweeper } from './sweeper.js';

export interface HoldExpiryDeps {
  db: Database;
  clock: Clock;
  decider: ReviewDecider;
  logger: Pick<Logger, 'info' | 'error'>;
  pollIntervalMs: number;
  /** Holds decided per transaction. */
  batchSize?: number;
}

export class HoldExpiryWorker extends Sweeper {
  constructor(private readonly deps: HoldExpiryDeps) {
    super({ logger: deps.logger, pollIntervalMs: deps.pollIntervalMs, name: 'hold expiry' });
  }

  /** Decides every hold lapsed by now; returns how many this call decided. */
  sweepOnce(): Promise<number> {
    return drainInBatches({ ...this.deps, batchSize: this.deps.batchSize ?? 50 }, lapsedReviews, async (tx, r) =>
      Boolean(await this.deps.decider.apply(tx, r.id, { outcome: r.on_expiry, by: 'expiry', note: null, byExpiry: true })),
    );
  }

  protected async sweep(): Promise<void> {
    const n = await this.sweepOnce();
    if (n > 0) this.deps.logger.info({ decided: n }, 'expired holds decided by on_expiry');
  }
}
