import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../testing/until.js';
import { PollingWorker } from './polling-worker.js';

interface Job {
  id: string;
}

/** Jobs from an in-memory queue; each attempt runs until the test finishes it. */
class TestWorker extends PollingWorker<Job> {
  readonly due: Job[] = [];
  readonly started: string[] = [];
  claims = 0;
  private readonly finishers = new Map<string, () => void>();

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

  finish(id: string): void {
    this.finishers.get(id)!();
    this.finishers.delete(id);
  }

  finishIfRunning(id: string): void {
    if (this.finishers.has(id)) this.finish(id);
  }
}

const jobs = (...ids: string[]) => ids.map((id) => ({ id }));
/** Lets the loop and the promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('PollingWorker', () => {
  let worker: TestWorker;
  afterEach(async () => {
    for (const id of worker.started) worker.finishIfRunning(id);
    await worker.stop();
  });

  it('claims after a finished attempt only when work is known to be waiting', async () => {
    worker = new TestWorker(4);
    worker.due.push(...jobs('a', 'b'));
    worker.start();
    await until('two attempts', () => worker.started.length === 2);
    await settle();
    const claims = worker.claims;
    // The claim returned fewer jobs than free slots: nothing is waiting, so finishing claims nothing.
    worker.finish('a');
    await settle();
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
    worker.start();
    await until('the first attempt', () => worker.started.length === 1);
    await settle();
    worker.due.push(...jobs('b'));
    worker.wake();
    await settle();
    expect(worker.started).toEqual(['a']);
    worker.finish('a');
    await until('job b claimed after a finished', () => worker.started.includes('b'));
  });

  it('reserves slots for jobs committed already claimed: run starts one without a claim, release gives it back', async () => {
    worker = new TestWorker(2);
    expect(worker.reserve()).toBeNull(); // not started
    worker.start();
    await settle();
    const claims = worker.claims;
    const one = worker.reserve()!;
    const two = worker.reserve()!;
    expect(one).not.toBeNull();
    expect(two).not.toBeNull();
    expect(worker.reserve()).toBeNull(); // both slots reserved

    one.run({ id: 'handed-over' });
    one.run({ id: 'again' }); // a slot runs once
    await settle();
    expect(worker.started).toEqual(['handed-over']);
    expect(worker.claims).toBe(claims);

    two.release();
    const three = worker.reserve();
    expect(three).not.toBeNull(); // the released slot is free again
    three!.release();
  });

  it('does not start a reserved job after stop()', async () => {
    worker = new TestWorker(2);
    worker.start();
    await settle();
    const slot = worker.reserve()!;
    await worker.stop();
    slot.run({ id: 'too-late' });
    await settle();
    expect(worker.started).toEqual([]);
    expect(worker.reserve()).toBeNull();
  });
});
