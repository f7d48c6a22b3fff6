/**
 * The embedded database's thread (pglite-thread.ts is the other side). PGlite is PostgreSQL compiled
 * to WebAssembly and runs synchronously wherever it is called: on the gateway's event loop every
 * statement's execution, and every byte of a large message's body, held SMTP sessions, HTTP requests
 * and WebSocket pings until it finished (an 8 MB message held it for about a second). Here it runs
 * on a thread of its own, which on a machine with a spare core is also a second core for the
 * database, as PostgreSQL's own processes are.
 *
 * The protocol is one request, one reply, matched by id; a transaction is PGlite's own exclusive
 * `transaction()`, held open on this side until the other side says commit or roll back, so the
 * semantics are those of the in-process instance (one session; statements outside the transaction
 * wait for it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types, type PGliteOptions, type Transaction } from '@electric-sql/pglite';
import { DurableNodeFS, durableStartParams } from './durable-node-fs.js';
import type { EmbeddedReply, EmbeddedRequest, ThreadOptions } from './pglite-thread.js';

/**
 * PGlite's own bytea conversion goes through one JS array element and one string per byte: a
 * 20 MiB message took seconds and a gigabyte. A parameter handed back as bytes is sent in
 * PostgreSQL's binary format instead (PGlite's Bind writes any ArrayBuffer view that way): no hex
 * text to build, scan and decode, which made storing a 1.2 MB body 10× cheaper (docs/PERFORMANCE.md,
 * "Embedded database"). Results still arrive as hex text.
 */
const PGLITE_OPTIONS: PGliteOptions = {
  serializers: {
    // PGlite types a serializer as returning text; its Bind takes bytes as well (see above).
    [types.BYTEA]: ((value: Uint8Array) => value) as unknown as (value: unknown) => string,
  },
  parsers: {
    [types.BYTEA]: (value: string) => Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex'),
  },
};

async function open(options: ThreadOptions): Promise<PGlite> {
  if (!options.dataDir) return PGlite.create(PGLITE_OPTIONS); // in memory (tests): nothing to sync
  mkdirSync(options.dataDir, { recursive: true });
  const dir = join(options.dataDir, 'pg');
  return options.fsync === false
    ? PGlite.create(dir, PGLITE_OPTIONS)
    : PGlite.create({ ...PGLITE_OPTIONS, fs: new DurableNodeFS(dir), startParams: durableStartParams() });
}

/** A database error's fields (code, constraint, detail, …) survive the hop; structured clone keeps only the message. */
function describe(err: unknown): { message: string; fields: Record<string, unknown> } {
  const e = err as Record<string, unknown> | null;
  const fields: Record<string, unknown> = {};
  if (e && typeof e === 'object') {
    for (const [key, value] of Object.entries(e)) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
    }
    if (typeof e.name === 'string') fields.name = e.name;
  }
  return { message: e instanceof Error ? e.message : String(err), fields };
}

const port = parentPort!;
const send = (reply: EmbeddedReply): void => port.postMessage(reply);
/** Thrown inside PGlite's transaction callback to roll it back without an error for the caller. */
const ROLLBACK = Symbol('rollback');

async function main(): Promise<void> {
  let pglite: PGlite;
  try {
    pglite = await open(workerData as ThreadOptions);
  } catch (err) {
    send({ id: 0, ok: false, error: describe(err) });
    return;
  }
  send({ id: 0, ok: true, result: null });

  const transactions = new Map<number, { tx: Transaction; end: (commit: boolean, id: number) => void }>();
  const listening = new Map<string, () => Promise<void>>();
  let nextTx = 1;
  const target = (tx: number | undefined): Pick<Transaction, 'query' | 'exec'> => {
    if (tx === undefined) return pglite;
    const open = transactions.get(tx);
    if (!open) throw new Error('transaction is not open');
    return open.tx;
  };

  port.on('message', (request: EmbeddedRequest) => {
    const { id } = request;
    const reply = (work: () => Promise<unknown>): void => {
      work().then(
        (result) => send({ id, ok: true, result }),
        (err: unknown) => send({ id, ok: false, error: describe(err) }),
      );
    };
    switch (request.op) {
      case 'query':
        return reply(async () => {
          const { rows, affectedRows } = await target(request.tx).query(request.sql, [...request.params], { rowMode: 'object' });
          return { rows, affectedRows };
        });
      case 'exec':
        return reply(() => target(request.tx).exec(request.sql));
      case 'begin': {
        const tx = nextTx++;
        let endId = 0;
        let begun = false;
        pglite
          .transaction(async (t) => {
            const commit = await new Promise<boolean>((resolve) => {
              transactions.set(tx, { tx: t, end: (c, id) => ((endId = id), resolve(c)) });
              begun = true;
              send({ id, ok: true, result: tx });
            });
            if (!commit) throw ROLLBACK;
          })
          .then(
            () => send({ id: endId, ok: true, result: null }),
            (err: unknown) => {
              if (!begun) return send({ id, ok: false, error: describe(err) });
              send(err === ROLLBACK ? { id: endId, ok: true, result: null } : { id: endId, ok: false, error: describe(err) });
            },
          )
          .finally(() => transactions.delete(tx));
        return;
      }
      case 'end': {
        const open = transactions.get(request.tx);
        if (!open) return send({ id, ok: false, error: describe(new Error('transaction is not open')) });
        return open.end(request.commit, id);
      }
      case 'listen':
        return reply(async () => {
          if (listening.has(request.channel)) return null;
          const unlisten = await pglite.listen(request.channel, (payload) => send({ id: -1, ok: 'notify', channel: request.channel, payload }));
          listening.set(request.channel, unlisten);
          return null;
        });
      case 'close':
        return reply(async () => {
          if (!pglite.closed) await pglite.close();
          // Nothing more comes: let the thread end once this reply is out.
          setImmediate(() => port.close());
          return null;
        });
    }
  });
}

void main();
