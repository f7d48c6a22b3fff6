/**
 * The loop shared by the mail workers (outbound send, system mail): claim up to `concurrency` due
 * jobs, run them, claim again at once while batches come back full, otherwise sleep until the
 * event bus, wake() or the poll interval. Notifications can be lost, and retries become due with
 * no notification at all, so the poll is the floor and the bus only a shortcut (see events/bus.ts).
 *
 * A finished attempt frees a slot but starts a claim only when work is known to be waiting (the
 * last claim filled every free slot, or a wake came while none was free): a claim per finished
 * job found nothing most of the time and was a third of the statements of an outbound send. And
 * while work is waiting, a claim waits for a quarter of the slots to be free: draining a backlog to
 * a fast receiver was one claim per finished job, each for one row.
 *
 * reserve() lets this process start a job it commits already claimed (the row is written with its
 * lease), with no claim query at all: the outbound API hands over what it accepts this way.
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

/** A reserved slot: run() starts the job in it, release() gives it back unused. Either, once. */
export interface JobSlot<Job> {
  run(job: Job): void;
  release(): void;
}

export abstract class PollingWorker<Job extends { id: string }> {
  private readonly inFlight = new Set<Promise<void>>();
  private reserved = 0;
  /** Slots a claim in progress may fill. */
  private claiming = 0;
  /** Due work may be waiting for a free slot: a finished attempt should claim. */
  private backlog = false;
  private stopped = true;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private unsubscribe: () => void = () => {};

  constructor(private readonly options: PollingWorkerOptions) {}

  protected abstract claim(limit: number): Promise<Job[]>;
  /** Must record its own outcome; a throw leaves the job to be retaken when its lease lapses. */
  protected abstract attempt(job: Job): Promise<void>;

  /**
   * Called each time the loop goes to sleep until a wake or the poll, and each time an attempt has
   * finished and freed its slot (after any wake that caused). No-ops here: tests override them to
   * wait on what the worker did, never on the clock.
   */
  protected parked(): void {}

  protected finished(_job: Job): void {}

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
   * A slot for a job the caller is about to commit already claimed, or null when every slot is in
   * use (the caller then commits the job unclaimed and calls wake()). A job whose slot is run after
   * stop() is not started: its lease lapses and it is claimed again, as after a crash.
   */
  reserve(): JobSlot<Job> | null {
    if (this.stopped || this.free() <= 0) return null;
    this.reserved++;
    let used = false;
    const take = () => {
      if (used) return false;
      used = true;
      this.reserved--;
      return true;
    };
    return {
      run: (job) => {
        if (take() && !this.stopped) this.launch(job);
      },
      release: () => {
        take();
      },
    };
  }

  /** The fewest free slots a claim for waiting work asks for. */
  private claimBatch(): number {
    return Math.max(1, Math.floor(this.options.concurrency / 4));
  }

  private free(): number {
    return this.options.concurrency - this.inFlight.size - this.reserved - this.claiming;
  }

  private launch(job: Job): void {
    const { logger, name } = this.options;
    const p: Promise<void> = this.attempt(job)
      .catch((err: unknown) => logger.error({ err, job: job.id }, `${name}: attempt failed unrecorded; retried when its lease lapses`))
      .finally(() => {
        this.inFlight.delete(p);
        if (this.backlog && this.free() >= this.claimBatch()) this.wake();
        this.finished(job);
      });
    this.inFlight.add(p);
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
    const { logger, pollIntervalMs, name } = this.options;
    while (!this.stopped) {
      this.wakeRequested = false;
      const free = this.free();
      let claimed: Job[] = [];
      if (free > 0) {
        this.claiming = free;
        try {
          claimed = await this.claim(free);
        } catch (err) {
          if (this.stopped) break;
          logger.error({ err }, `${name}: claim failed; retrying at the next poll`);
        } finally {
          this.claiming = 0;
        }
        for (const job of claimed) this.launch(job);
      }
      // No free slot, or all of them filled: more may be due, so the next finished attempt claims.
      this.backlog = free <= 0 || claimed.length === free;
      if (free > 0 && claimed.length === free) continue;
      if (this.wakeRequested || this.stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
        this.parked();
      });
      this.wakeUp = null;
    }
  }
}
