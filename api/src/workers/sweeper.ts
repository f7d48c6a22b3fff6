/**
 * What the clock-driven sweepers (hold expiry, agent expiry, retention) share: a loop that sweeps,
 * sleeps for the poll interval, and sweeps again, and a drain that works through due rows in
 * batches of one transaction each. Their work is a matter of the clock, which no notification
 * announces, so they poll only (unlike the mail workers of polling-worker.ts, which the event bus
 * wakes).
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';

export abstract class Sweeper {
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  /** A wake() that came while a sweep ran: the loop sweeps again instead of sleeping. */
  private woken = false;

  constructor(private readonly loopOptions: { logger: Pick<Logger, 'error'>; pollIntervalMs: number; name: string }) {}

  /** One sweep over everything due by now; logs what it did itself. */
  protected abstract sweep(): Promise<void>;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopDone = this.loop();
  }

  /**
   * Sweeps now rather than at the next poll: for work this process has just created (an export
   * job). Other replicas still find it at their own poll.
   */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wakeUp?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      try {
        await this.sweep();
      } catch (err) {
        if (this.stopped) break;
        this.loopOptions.logger.error({ err }, `${this.loopOptions.name} sweep failed; retrying at the next poll`);
      }
      if (this.stopped) break;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.loopOptions.pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}

/**
 * Claims up to `batchSize` due rows and acts on each in one transaction, batch after batch until a
 * claim comes back short; returns how many `act` reported done. `claim` must lock what it returns
 * (FOR UPDATE SKIP LOCKED) and `act` must write conditionally, so concurrent sweepers on several
 * replicas never handle one row twice.
 */
export async function drainInBatches<Row>(
  deps: { db: Database; clock: Clock; batchSize: number },
  claim: (tx: Database, now: Date, limit: number) => Promise<Row[]>,
  act: (tx: Database, row: Row, now: Date) => Promise<boolean>,
): Promise<number> {
  return drainBatches(deps, claim, async (tx, rows, now) => {
    let n = 0;
    for (const row of rows) if (await act(tx, row, now)) n++;
    return n;
  });
}

/**
 * drainInBatches for work done a batch at a time (`act` gets the whole claim and returns how many
 * it did): one statement for many rows, where rows acted on one by one could lock shared rows in
 * different orders in concurrent sweepers (the retention purge and the blobs it releases).
 */
export async function drainBatches<Row>(
  deps: { db: Database; clock: Clock; batchSize: number },
  claim: (tx: Database, now: Date, limit: number) => Promise<Row[]>,
  act: (tx: Database, rows: Row[], now: Date) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const { claimed, done } = await deps.db.transaction().execute(async (tx) => {
      const now = deps.clock.now();
      const due = await claim(tx, now, deps.batchSize);
      const n = due.length > 0 ? await act(tx, due, now) : 0;
      return { claimed: due.length, done: n };
    });
    total += done;
    if (claimed < deps.batchSize) return total;
  }
}
