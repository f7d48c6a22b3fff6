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

export interface HoldExpiryDeps {
  db: Database;
  clock: Clock;
  decider: ReviewDecider;
  logger: Pick<Logger, 'info' | 'error'>;
  pollIntervalMs: number;
  /** Holds decided per transaction. */
  batchSize?: number;
}

export class HoldExpiryWorker {
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;

  constructor(private readonly deps: HoldExpiryDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeUp?.();
    await this.loopDone;
  }

  /** Decides every hold lapsed by now; returns how many this call decided. */
  async sweepOnce(): Promise<number> {
    const batchSize = this.deps.batchSize ?? 50;
    let total = 0;
    for (;;) {
      const { claimed, decided } = await this.deps.db.transaction().execute(async (tx) => {
        const now = this.deps.clock.now();
        const due = await lapsedReviews(tx, now, batchSize);
        let n = 0;
        for (const r of due) {
          const done = await this.deps.decider.apply(tx, r.id, { outcome: r.on_expiry, by: 'expiry', note: null, byExpiry: true });
          if (done) n++;
        }
        return { claimed: due.length, decided: n };
      });
      total += decided;
      if (claimed < batchSize) return total;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const n = await this.sweepOnce();
        if (n > 0) this.deps.logger.info({ decided: n }, 'expired holds decided by on_expiry');
      } catch (err) {
        if (this.stopped) break;
        this.deps.logger.error({ err }, 'hold expiry sweep failed; retrying at the next poll');
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}
