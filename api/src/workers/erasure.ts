/**
 * Carries out erasures whose grace period is over (docs/DATA.md "Erasure"; the plan, table by table:
 * erasure/plan.ts). Each transaction claims one due erasure (FOR UPDATE SKIP LOCKED, so replicas
 * take different ones and a cancel waits for the batch in hand) and deletes one bounded batch of one
 * table, adding the count to the erasure's report in the same commit: a crash loses nothing and
 * counts nothing twice, and the next sweep, here or on another replica, continues where it stopped.
 *
 * An account erasure empties its agents one after another (each as an agent erasure would), then
 * the account's own tables, then the user; the report goes to the account's email as system mail,
 * under no account (the account is gone), and the erasure keeps its counts with the email cleared.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { erasureReport } from '../erasure/mail.js';
import { accountSteps, agentSteps, finishAccount, finishAgent, runFirstBusyStep, type Counts } from '../erasure/plan.js';
import { dueErasures, ErasuresRepo, recordProgress, type ErasureRow } from '../erasure/repo.js';
import { newId } from '../ids.js';
import { drainInBatches, Sweeper } from './sweeper.js';

export interface ErasureWorkerDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'error'>;
  pollIntervalMs: number;
  /** Rows one statement deletes. */
  batchSize?: number;
  mailFrom: string;
  wakeMail: () => void;
}

export class ErasureWorker extends Sweeper {
  private readonly batchSize: number;

  constructor(private readonly deps: ErasureWorkerDeps) {
    super({ logger: deps.logger, pollIntervalMs: deps.pollIntervalMs, name: 'erasure' });
    this.batchSize = deps.batchSize ?? 500;
  }

  /** Erases everything due by now; how many batches it ran and which erasures it finished. */
  async sweepOnce(): Promise<{ batches: number; finished: string[] }> {
    const finished: string[] = [];
    const batches = await drainInBatches({ db: this.deps.db, clock: this.deps.clock, batchSize: 1 }, dueErasures, async (tx, erasure, now) => {
      if (await this.step(tx, erasure, now)) finished.push(erasure.id);
      return true;
    });
    if (finished.length > 0) this.deps.wakeMail();
    return { batches, finished };
  }

  /** One batch of one erasure; true when it finished the erasure. */
  private async step(tx: Database, erasure: ErasureRow, now: Date): Promise<boolean> {
    const { db } = this.deps;
    const agent =
      erasure.scope === 'agent'
        ? await tx.selectFrom('agents').select(['id', 'address', 'user_id']).where('id', '=', erasure.agent_id!).executeTakeFirst()
        : await tx.selectFrom('agents').select(['id', 'address', 'user_id']).where('user_id', '=', erasure.user_id).orderBy('id').limit(1).executeTakeFirst();
    let counts: Counts;
    let finished = false;
    if (agent) {
      counts = (await runFirstBusyStep(tx, agentSteps(db, { id: agent.id, address: agent.address, userId: agent.user_id }), this.batchSize)) ?? (await finishAgent(tx, agent.id));
      finished = erasure.scope === 'agent' && counts.agents === 1;
    } else if (erasure.scope === 'account') {
      const user = await tx.selectFrom('users').select(['email']).where('id', '=', erasure.user_id).executeTakeFirst();
      const steps = accountSteps(db, { userId: erasure.user_id, email: user?.email ?? erasure.target ?? '', erasureId: erasure.id });
      const busy = await runFirstBusyStep(tx, steps, this.batchSize);
      counts = busy ?? (await finishAccount(tx, erasure.user_id));
      finished = busy === null;
    } else {
      // The agent went another way (it expired and the expiry worker deleted it): nothing is left.
      counts = {};
      finished = true;
    }
    const erased = await recordProgress(tx, erasure, counts, now, finished);
    if (finished) {
      this.deps.logger.info({ erasure: erasure.id, scope: erasure.scope, erased }, 'erasure done');
      if (erasure.scope === 'account' && erasure.target) {
        const report = erasureReport({ erasureId: erasure.id, completedAt: now, erased });
        await new ErasuresRepo(tx).queueMail({ id: newId('systemMail'), user_id: null, kind: 'erasure_report', from: this.deps.mailFrom, to: erasure.target, subject: report.subject, text: this.deps.box.seal(report.text), now });
      }
    }
    return finished;
  }

  protected async sweep(): Promise<void> {
    await this.sweepOnce();
  }
}
