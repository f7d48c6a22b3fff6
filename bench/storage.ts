/**
 * `bench storage`: what one large message to many agents costs on disk. The gateway runs in this
 * process on a fresh database; N agents are created; one DKIM-signed message (a short text part and
 * a base64 attachment of random bytes) is sent over SMTP to all of them at once; the bench then
 * measures how much the database grew.
 *
 * PGlite: the growth of the data directory (`data_dir/pg`, blocks allocated, WAL included), right
 * after the 250 and again after a CHECKPOINT. Both engines: the growth of every table of ours
 * (heap, TOAST and indexes, `pg_total_relation_size`), which leaves out WAL.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { signMessage } from '@e2a/relay/testing';
import { sql } from 'kysely';
import { deliver } from '../api/src/testing/mail.js';
import { buildLargeMessage } from './bench-messages.js';
import type { Engine } from './bench-database.js';
import { SENDER_DOMAIN, startBenchGateway } from './bench-gateway.js';
import { tableBytes } from '../api/src/testing/database-size.js';

export interface StorageOptions {
  engine: Engine;
  recipients: number;
  /** Size of the message on the wire, before dot-stuffing. */
  messageBytes: number;
}

export interface StorageResult {
  engine: Engine;
  options: StorageOptions;
  messageBytes: number;
  latencyMs: number;
  storedCopies: number;
  /** Growth of our tables: heap, TOAST, indexes. */
  tablesBytes: number;
  /** PGlite only: growth of data_dir/pg (blocks allocated), right after the 250 and after a CHECKPOINT. */
  dataDirBytes: number | null;
  dataDirAfterCheckpointBytes: number | null;
}

export async function runStorage(opts: StorageOptions): Promise<StorageResult> {
  const bench = await startBenchGateway(opts.engine);
  try {
    const { gateway } = bench;
    const db = gateway.database.db;
    const agents: string[] = [];
    for (let i = 0; i < opts.recipients; i++) {
      agents.push((await bench.api<{ address: string }>('POST', '/v1/agents', { local_part: `reader${i}` })).address);
    }
    const runId = `storage${Date.now().toString(36)}`;
    const raw = await signMessage(buildLargeMessage(runId, { from: `alice@${SENDER_DOMAIN}`, to: agents[0]! }, opts.messageBytes), bench.senderKey);
    const pgDir = opts.engine === 'pglite' ? join(bench.config.data_dir, 'pg') : null;

    await sql`CHECKPOINT`.execute(db);
    const tablesBefore = await tableBytes(db);
    const dirBefore = pgDir ? dirBytes(pgDir) : null;
    const started = performance.now();
    await deliver(gateway.smtpPort, `alice@${SENDER_DOMAIN}`, agents, raw);
    const latencyMs = performance.now() - started;
    const dirAfter = pgDir ? dirBytes(pgDir) : null;
    const tablesAfter = await tableBytes(db);
    await sql`CHECKPOINT`.execute(db);
    const dirAfterCheckpoint = pgDir ? dirBytes(pgDir) : null;

    const stored = await db.selectFrom('messages').select(sql<number>`count(*)::int`.as('n')).where('subject', 'like', `bench ${runId}%`).executeTakeFirstOrThrow();
    return {
      engine: opts.engine,
      options: opts,
      messageBytes: raw.length,
      latencyMs,
      storedCopies: stored.n,
      tablesBytes: tablesAfter - tablesBefore,
      dataDirBytes: dirBefore === null ? null : dirAfter! - dirBefore,
      dataDirAfterCheckpointBytes: dirBefore === null ? null : dirAfterCheckpoint! - dirBefore,
    };
  } finally {
    await bench.close();
  }
}


/** Bytes allocated on disk under `dir` (as du counts them). */
function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const stat = lstatSync(join(dir, entry.toString()));
    if (stat.isFile()) total += stat.blocks * 512;
  }
  return total;
}
