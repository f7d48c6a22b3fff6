/**
 * Worker threads for the work on one message that stays heavy after every step was made linear: a
 * very large part is still milliseconds per megabyte to decode and scan, and 25 MiB of it would hold
 * the event loop for seconds. Only such messages go to a thread (a worker was measured and rejected
 * for every message's DKIM signature: copying each message across cost more than it saved, and on
 * two cores the thread competes with PostgreSQL, docs/PERFORMANCE.md). piscina runs the pool; each
 * task gets an AbortSignal for its time budget.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';

export interface WorkerPoolOptions {
  /** Threads at most (default 1: one large message at a time beside the event loop). */
  maxThreads?: number;
  /** A thread idle this long exits; the next large message starts one again (~50 ms). */
  idleTimeoutMs?: number;
}

/**
 * A pool for a worker entry module. Compiled to dist/ (`npm start`, the CLI, every process the tests
 * spawn) the entry is plain JavaScript and a thread starts in tens of milliseconds. Under vitest and
 * `npm run dev` it is TypeScript source: the thread needs tsx's loader, and the `e2a-source` export
 * condition so that our workspaces resolve to their sources as in the parent (a thread does not
 * inherit the parent's --conditions).
 */
export function createWorkerPool(entry: URL, options: WorkerPoolOptions = {}): Piscina {
  const fromSource = entry.pathname.endsWith('.ts');
  return new Piscina({
    filename: entry.href,
    minThreads: 0,
    maxThreads: options.maxThreads ?? 1,
    idleTimeout: options.idleTimeoutMs ?? 30_000,
    // tsx resolved from here, not from the working directory the process happened to start in.
    execArgv: fromSource ? ['--conditions=e2a-source', '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [],
    // Below the event loop and PostgreSQL when the cores are contended: a large message may wait.
    niceIncrement: 5,
  });
}

/** Whether a task's failure was its time budget running out (AbortSignal.timeout). */
export function isTimeout(err: unknown): boolean {
  const e = err as { name?: string; cause?: { name?: string } } | null;
  return e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError' || e?.name === 'AbortError';
}
