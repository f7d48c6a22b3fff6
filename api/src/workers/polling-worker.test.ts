import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.js';
import { PollingWorker } from './polling-worker.js';

interface Job {
  id: string;
}

/**
 * Jobs from an in-memory queue; each attempt runs until the test finishes it. It counts claims and
 * wakes (a claim only follows a wake once the loop sleeps), and lets the test wait until the loop
 * sleeps or an attempt's slot is free: what must not have happened by then never will.
 */
class TestWorker extends PollingWorker<Job> {
  readonly due: Job[] = [];
  readonly started: string[] = [];
  readonly done: string[] = [];
  claims = 0;
  wakes = 0;
  private readonly finishers = new Map<string, () => void>();
  private parkWaiters: Array<() => void> = [];

  constructor(concurrency: number) {
    super({ bus: { subscribe: () => () => {} }, logger: pino({ level: 'silent' }), concurrency, pollIntervalMs: 60_000, name: 'test', wakeOn: () => true });
  }

  protected async claim(limit: number): Promise<Job[]> {
    this.claims++;
    return this.due.splice(0, limit);
  }

  protected attempt(job: Job): Promise<void> {
    this.started.push(job.id);
    return new Promise((resolve) => this.finishers.set(job.id, resolve));
  }

  override wake(): void {
    this.wakes++;
    super.wake();
  }

  protected override parked(): void {
    for (const resolve of this.parkWaiters.splice(0)) resolve();
  }

  protected override finished(job: Job): void {
    this.done.push(job.id);
  }

  /** Resolves when the loop next goes to sleep; ask before the action that leads there. */
  nextPark(): Promise<void> {
    return new Promise((resolve) => this.parkWaiters.push(resolve));
  }

  /** Finishes `id` and resolves once its slot is free and the worker has decided whether to claim. */
  async finishAndSettle(id: string): Promise<void> {
    this.finish(id);
    await until(`attempt ${id} to free its slot`, () => this.done.includes(id));
  }

  finish(id: string): void {
    this.finishers.get(id)!();
    this.finishers.delete(id);
  }

  finishIfRunning(id: string): void {
    if (this.finishers.has(id)) this.finish(id);
  }
}

const jobs = (...ids: string[]) => ids.map((id) => ({ id }));

describe('PollingWorker', () => {
  let worker: TestWorker;
  afterEach(async () => {
    for (const id of worker.started) worker.finishIfRunning(id);
    await worker.stop();
  });

  it('claims after a finished attempt only when work is known to be waiting', async () => {
    worker = new TestWorker(4);
    worker.due.push(...jobs('a', 'b'));
    const asleep = worker.nextPark();
    worker.start();
    await asleep;
    expect(worker.started).toEqual(['a', 'b']);
    const claims = worker.claims;
    // The claim returned fewer jobs than free slots: nothing is waiting, so finishing claims nothing.
    await worker.finishAndSettle('a');
    expect(worker.wakes).toBe(0);
    expect(worker.claims).toBe(claims);

    // A full claim: more may be due, so the next finished attempt claims.
    worker.due.push(...jobs('c', 'd', 'e', 'f'));
    worker.wake();
    await until('five attempts', () => worker.started.length === 5);
    expect(worker.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    worker.finish('c');
    await until('job f claimed after c finished', () => worker.started.includes('f'));
  });

  it('honours a wake that came while every slot was busy once a slot frees', async () => {
    worker = new TestWorker(1);
    worker.due.push(...jobs('a'));
    const asleep = worker.nextPark();
    worker.start();
    await asleep;
    expect(worker.started).toEqual(['a']);
    worker.due.push(...jobs('b'));
    // The wake is handled (the loop sleeps again) with no slot free: nothing starts.
    const asleepAgain = worker.nextPark();
    worker.wake();
    await asleepAgain;
    expect(worker.started).toEqual(['a']);
    worker.finish('a');
    await until('job b claimed after a finished', () => worker.started.includes('b'));
  });

  it('reserves slots for jobs committed already claimed: run starts one without a claim, release gives it back', async () => {
    worker = new TestWorker(2);
    expect(worker.reserve()).toBeNull(); // not started
    const asleep = worker.nextPark();
    worker.start();
    await asleep;
    const claims = worker.claims;
    const one = worker.reserve()!;
    const two = worker.reserve()!;
    expect(one).not.toBeNull();
    expect(two).not.toBeNull();
    expect(worker.reserve()).toBeNull(); // both slots reserved

    // Run starts the attempt at once; a claim could only follow a wake.
    one.run({ id: 'handed-over' });
    one.run({ id: 'again' }); // a slot runs once
    expect(worker.started).toEqual(['handed-over']);
    expect(worker.wakes).toBe(0);
    expect(worker.claims).toBe(claims);

    two.release();
    const three = worker.reserve();
    expect(three).not.toBeNull(); // the released slot is free again
    three!.release();
  });

  it('does not start a reserved job after stop()', async () => {
    worker = new TestWorker(2);
    const asleep = worker.nextPark();
    worker.start();
    await asleep;
    const slot = worker.reserve()!;
    await worker.stop();
    // Run would start the attempt at once (above): it did not.
    slot.run({ id: 'too-late' });
    expect(worker.started).toEqual([]);
    expect(worker.reserve()).toBeNull();
  });
});
