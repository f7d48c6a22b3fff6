/**
 * Group commit for small writes that many concurrent tasks make: each task's write waits for the
 * next flush, which writes everything queued so far in one statement, and each task goes on only
 * once that statement has committed (so "done" still means "recorded"). One flush runs at a time;
 * what arrives during it goes into the next. A failed flush fails every task in it, and each one's
 * own failure handling applies (a webhook delivery not recorded is retried when its lease lapses).
 *
 * Written here because the batching libraries on npm (dataloader and the like) batch reads by key;
 * this is a write queue whose only rule is "one statement per turn of the event loop".
 */
export class GroupCommit<T> {
  private queued: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // After the current turn: the other tasks finishing in it join this statement.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.queued.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    try {
      await this.write(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
