/**
 * The loop shared by the mail workers (outbound send, system mail): claim up to `concurrency` due
 * jobs, run them, claim again at once while batches come back full, otherwise sleep until the
 * event bus, wake() or the poll interval. Notifications can be lost, and retries become due with
 * no notification at all, so the poll is the floor and the bus only a shortcut (see events/bus.ts).
 */
import type { Logger } from 'pino';
import type { EventBus, EventNotice } from '../events/bus.js';

/** How long stop() waits for attempts in flight. */
export const STOP_WAIT_MS = 10_000;

export interface PollingWorkerOptions {
  bus: Pick<EventBus, 'subscribe'>;
  logger: Logger;
  concurrency: number;
  pollIntervalMs: number;
  name: string;
  /** Which committed events can mean new work for this worker (the rest only cost a claim query). */
  wakeOn: (notice: EventNotice) => boolean;
}

export abstract class PollingWorker<Job extends { id: string }> {
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private unsubscribe: () => void = () => {};

  constructor(private readonly options: PollingWorkerOptions) {}

  protected abstract claim(limit: number): Promise<Job[]>;
  /** Must record its own outcome; a throw leaves the job to be retaken when its lease lapses. */
  protected abstract attempt(job: Job): Promise<void>;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.options.bus.subscribe((notice) => {
      if (this.options.wakeOn(notice)) this.wake();
    });
    this.loopDone = this.loop();
  }

  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming and waits for the attempts in flight, at most `STOP_WAIT_MS`: a shutdown must not
   * hang on a silent peer. An attempt abandoned here is retaken when its lease lapses, exactly as
   * after a crash (delivery is at least once).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.wakeUp?.();
    await this.loopDone;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abandoned = await Promise.race([
      Promise.allSettled([...this.inFlight]).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (abandoned) this.options.logger.warn({ inFlight: this.inFlight.size }, `${this.options.name}: stopped with attempts still in flight; they are retried when their leases lapse`);
  }

  private async loop(): Promise<void> {
    const { logger, concurrency, pollIntervalMs, name } = this.options;
    while (!this.stopped) {
      this.wakeRequested = false;
      const free = concurrency - this.inFlight.size;
      let claimed: Job[] = [];
      if (free > 0) {
        try {
          claimed = await this.claim(free);
        } catch (err) {
          if (this.stopped) break;
          logger.error({ err }, `${name}: claim failed; retrying at the next poll`);
        }
      }
      for (const job of claimed) {
        const p: Promise<void> = this.attempt(job)
          .catch((err: unknown) => logger.error({ err, job: job.id }, `${name}: attempt failed unrecorded; retried when its lease lapses`))
          .finally(() => {
            this.inFlight.delete(p);
            this.wake();
          });
        this.inFlight.add(p);
      }
      if (free > 0 && claimed.length === free) continue;
      if (this.wakeRequested || this.stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }
}
