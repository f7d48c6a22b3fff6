/**
 * The embedded database (PGlite) on a thread of its own (pglite-worker.ts says why), seen from the
 * gateway's side as the part of PGlite's API that kysely's PGliteDialect, the migrator and the
 * event bus use: query, exec, transaction, listen, close.
 *
 * Values cross by structured clone: dates stay dates, bytea arrives as a Uint8Array and is viewed as
 * a Buffer again (no copy), and an error keeps its message and fields (code, constraint, detail).
 *
 * If the thread dies (a failed fsync stops it on purpose, durable-node-fs.ts; a WebAssembly abort),
 * every pending statement fails as "database unavailable" and the process stops, as it did when the
 * database ran in it: the next start recovers from the WAL, and nothing answers 250 on a database
 * that is gone.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface ThreadOptions {
  /** PGlite data directory's parent (the gateway's data_dir); null keeps it in memory (tests). */
  dataDir: string | null;
  /** fsync the WAL at every commit (database.embedded_fsync). */
  fsync: boolean;
}

export type EmbeddedRequest =
  | { id: number; op: 'query'; sql: string; params: readonly unknown[]; tx?: number }
  | { id: number; op: 'exec'; sql: string; tx?: number }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'close' };

export type EmbeddedReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; fields: Record<string, unknown> } }
  /** A notification on a channel listened to. */
  | { id: -1; ok: 'notify'; channel: string; payload: string };

export interface QueryResult<R> {
  rows: R[];
  affectedRows?: number;
}

interface Queryable {
  query<R>(sql: string, params?: readonly unknown[], options?: { rowMode?: 'object' }): Promise<QueryResult<R>>;
  exec(sql: string): Promise<unknown>;
}

/** What the gateway uses of an embedded database. */
export interface EmbeddedDatabase extends Queryable {
  readonly ready: boolean;
  readonly closed: boolean;
  readonly waitReady: Promise<void>;
  transaction<T>(callback: (tx: Queryable) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

function toError(e: { message: string; fields: Record<string, unknown> }): Error {
  return Object.assign(new Error(e.message), e.fields);
}

/** bytea columns arrive as Uint8Array views: the callers expect Buffers (Buffer.isBuffer, toString). */
function withBuffers<R>(rows: R[]): R[] {
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const key in row) {
      const value = row[key];
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return rows;
}

export async function startEmbeddedThread(options: ThreadOptions): Promise<EmbeddedDatabase> {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./pglite-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);
  // Under vitest and `npm run dev` the entry is TypeScript: the thread needs tsx's loader and the
  // e2a-source condition, as relay/src/worker-pool.ts explains.
  const execArgv = fromSource ? ['--conditions=e2a-source', '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  const worker = new Worker(entry, { workerData: options, execArgv });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let nextId = 1;
  let closed = false;
  let closing = false;

  // The thread keeps the process alive only while it owes an answer: an idle gateway's lifetime is
  // decided by its sockets, and a script that awaits a statement is not cut short.
  const refresh = (): void => void (pending.size > 0 ? worker.ref() : worker.unref());
  const started = new Promise<void>((resolve, reject) => pending.set(0, { resolve: () => resolve(), reject }));
  refresh();

  worker.on('message', (reply: EmbeddedReply) => {
    if (reply.ok === 'notify') {
      for (const listener of listeners.get(reply.channel) ?? []) listener(reply.payload);
      return;
    }
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    refresh();
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(toError(reply.error));
  });
  const fail = (reason: string): void => {
    const wasClosing = closing;
    closed = true;
    const err = Object.assign(new Error(`the embedded database stopped: ${reason}`), { code: '57P02' });
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
    if (!wasClosing) {
      process.stderr.write(`e2a: ${err.message}; stopping so that the next start recovers from the WAL\n`);
      process.exit(1);
    }
  };
  worker.on('error', (err) => fail(err.message));
  worker.on('exit', (code) => fail(`thread exited with code ${code}`));

  const request = <T>(message: EmbeddedRequest extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never): Promise<T> => {
    if (closed) return Promise.reject(Object.assign(new Error('the embedded database is closed'), { code: '57P03' }));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      refresh();
      worker.postMessage({ ...message, id });
    });
  };
  const queryable = (tx?: number): Queryable => ({
    async query<R>(sql: string, params: readonly unknown[] = []) {
      const result = await request<QueryResult<R>>({ op: 'query', sql, params, ...(tx === undefined ? {} : { tx }) });
      withBuffers(result.rows);
      return result;
    },
    exec: (sql: string) => request({ op: 'exec', sql, ...(tx === undefined ? {} : { tx }) }),
  });

  const waitReady = started;
  await started;
  let ready = true;
  return {
    ...queryable(),
    get ready() {
      return ready;
    },
    get closed() {
      return closed;
    },
    waitReady,
    async transaction<T>(callback: (tx: Queryable) => Promise<T>): Promise<T> {
      const tx = await request<number>({ op: 'begin' });
      let result: T;
      try {
        result = await callback(queryable(tx));
      } catch (err) {
        await request({ op: 'end', tx, commit: false }).catch(() => {});
        throw err;
      }
      await request({ op: 'end', tx, commit: true });
      return result;
    },
    async listen(channel, callback) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(callback);
      await request({ op: 'listen', channel });
      return async () => void set.delete(callback);
    },
    async close() {
      if (closed || closing) return;
      closing = true;
      ready = false;
      await request({ op: 'close' }).catch(() => {});
      closed = true;
      await worker.terminate();
    },
  };
}
