/**
 * `npm run bench -- export [--engine pglite|postgres|both] [--messages 10000] [--size 4096] [--agents 4]`:
 * account export throughput (docs/PERFORMANCE.md "Export"). The gateway runs in this process on a
 * fresh database; one message per agent arrives over SMTP and is then copied in SQL (each copy a
 * blob of its own, as separate mail would be) until the account holds `--messages`. Timed: from
 * POST /v1/account/export to the job's status `done` (the worker decrypting, packing into tar and
 * sealing chunks), then the download of the whole archive.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { deliver } from '../api/src/testing/mail.js';
import { COMMON_OPTIONS, int, machineInfo, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { BENCH_DOMAIN, SENDER_DOMAIN, startBenchGateway } from './bench-gateway.js';
import { buildSizedMessage } from './bench-messages.js';
import { fixed, formatTable } from './table.js';

export const EXPORT_USAGE = 'usage: npm run bench -- export [--engine pglite|postgres|both] [--messages 10000] [--size 4096] [--agents 4]';

interface ExportOptions {
  engine: Engine;
  messages: number;
  sizeBytes: number;
  agents: number;
}

interface ExportResult {
  engine: Engine;
  options: ExportOptions;
  seedMs: number;
  /** POST → status done. */
  exportMs: number;
  messagesPerSecond: number;
  archiveBytes: number;
  chunks: number;
  downloadMs: number;
  downloadMiBPerSecond: number;
}

async function runExport(opts: ExportOptions): Promise<ExportResult> {
  const bench = await startBenchGateway(opts.engine, { E2A_EXPORTS_POLL_INTERVAL_MS: '3600000' });
  try {
    const { api, gateway } = bench;
    const db = gateway.database.db;
    const seedStarted = performance.now();
    const perAgent = Math.ceil(opts.messages / opts.agents);
    for (let a = 0; a < opts.agents; a++) {
      const agent = await api<{ address: string; id: string }>('POST', '/v1/agents', { local_part: `export${a}` });
      await deliver(gateway.smtpPort, `alice@${SENDER_DOMAIN}`, [agent.address], buildSizedMessage(a, 'export', { from: `alice@${SENDER_DOMAIN}`, to: agent.address }, opts.sizeBytes));
      const template = await db.selectFrom('messages').selectAll().where('agent_id', '=', agent.id).executeTakeFirstOrThrow();
      const copies = perAgent - 1;
      if (copies <= 0) continue;
      await sql`
        INSERT INTO message_blobs (id, raw, text_body, html_body, created_at)
        SELECT 'blob_x' || ${a}::text || lpad(g::text, 8, '0'), b.raw, b.text_body, b.html_body, b.created_at
          FROM message_blobs b, generate_series(1, ${copies}::int) g WHERE b.id = ${template.blob_id}`.execute(db);
      await sql`
        INSERT INTO messages (id, agent_id, conversation_id, direction, status, dedupe_key, content_hash, from_address, subject, size_bytes,
                              attachment_count, received_at, blob_id, to_addresses, cc_addresses, envelope, headers, references_header)
        SELECT 'msg_x' || ${a}::text || lpad(g::text, 8, '0'), m.agent_id, m.conversation_id, m.direction, m.status, m.dedupe_key || g::text,
               m.content_hash, m.from_address, m.subject, m.size_bytes, m.attachment_count, m.received_at,
               'blob_x' || ${a}::text || lpad(g::text, 8, '0'), m.to_addresses, m.cc_addresses, m.envelope, m.headers, m.references_header
          FROM messages m, generate_series(1, ${copies}::int) g WHERE m.id = ${template.id}`.execute(db);
    }
    const seedMs = performance.now() - seedStarted;

    const started = performance.now();
    const job = await api<{ id: string; messages_total: number }>('POST', '/v1/account/export');
    let status: { status: string; size_bytes: number; messages_done: number };
    for (;;) {
      status = await api('GET', `/v1/account/exports/${job.id}`);
      if (status.status !== 'queued' && status.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exportMs = performance.now() - started;
    if (status.status !== 'done') throw new Error(`export ended ${status.status}`);
    const chunks = await db.selectFrom('account_export_chunks').select((eb) => eb.fn.countAll<string>().as('n')).where('export_id', '=', job.id).executeTakeFirstOrThrow();

    const downloadStarted = performance.now();
    const res = await fetch(`${gateway.httpUrl}/v1/account/exports/${job.id}/download`, { headers: { authorization: `Bearer ${api.key}` } });
    let bytes = 0;
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) bytes += piece.byteLength;
    const downloadMs = performance.now() - downloadStarted;
    if (bytes !== status.size_bytes) throw new Error(`downloaded ${bytes} bytes of ${status.size_bytes}`);
    return {
      engine: opts.engine,
      options: opts,
      seedMs,
      exportMs,
      messagesPerSecond: status.messages_done / (exportMs / 1000),
      archiveBytes: bytes,
      chunks: Number(chunks.n),
      downloadMs,
      downloadMiBPerSecond: bytes / 1048576 / (downloadMs / 1000),
    };
  } finally {
    await bench.close();
  }
}

export async function exportMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, messages: { type: 'string', default: '10000' }, size: { type: 'string', default: '4096' }, agents: { type: 'string', default: '4' } },
  });
  if (values.help) {
    process.stdout.write(`${EXPORT_USAGE}\n`);
    return 0;
  }
  const stamp = startResults();
  const engines = resolveEngines(values.engine ?? 'pglite');
  const options = { messages: int('messages', values.messages, 1), sizeBytes: int('size', values.size, 256), agents: int('agents', values.agents, 1) };
  const run = (engine: Engine) => runExport({ engine, ...options });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  const results = await runEngines('export', argv, engines, run);
  process.stdout.write(`\nexport: an account of ${options.messages} messages of ${options.sizeBytes} bytes over ${options.agents} agents on ${BENCH_DOMAIN}; POST → done, then the download\n`);
  process.stdout.write(
    `${formatTable(
      ['engine', 'messages', 'export s', 'messages/s', 'archive MiB', 'chunks', 'download s', 'download MiB/s'],
      results.map((r) => [
        r.engine,
        String(r.options.messages),
        fixed(r.exportMs / 1000, 2),
        fixed(r.messagesPerSecond, 0),
        fixed(r.archiveBytes / 1048576, 1),
        String(r.chunks),
        fixed(r.downloadMs / 1000, 2),
        fixed(r.downloadMiBPerSecond, 0),
      ]),
    )}\n`,
  );
  saveResults('export', stamp, machineInfo(), results);
  return 0;
}
