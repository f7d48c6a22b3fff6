/**
 * `npm run bench -- search [--engine pglite|postgres|both] [--messages 100000] [--queries 200]
 * [--limit 20] [--explain]`: full-text search latency over a large mailbox (docs/PERFORMANCE.md
 * "Search").
 *
 * A gateway (bench-gateway.ts) on a fresh database gets one agent, whose mailbox is then filled
 * directly in the database, a batch of 2,000 messages per statement: the corpus of
 * search-corpus.ts (English-like bodies with a Zipf-distributed vocabulary), each body sealed as the
 * gateway seals it and its vector computed by the same SQL the store path runs
 * (messages/search-document.ts), then on PostgreSQL VACUUM ANALYZE (what autovacuum would do;
 * PGlite runs none, so there the tables keep no statistics, as in production). The queries (one to three words, common, mid
 * and rare terms and mixtures) are sent one at a time through the HTTP API, `GET
 * /v1/agents/{address}/messages?q=…` and `GET /v1/search?q=…`, with the account key, after a warm-up
 * pass; each is timed from request to the whole response. `--explain` prints EXPLAIN ANALYZE of the
 * mailbox search for the query that matched most.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { systemClock } from '../api/src/clock.js';
import { SecretBox } from '../api/src/crypto/secret-box.js';
import { newId } from '../api/src/ids.js';
import { searchDocument, searchVector } from '../api/src/messages/search-document.js';
import { SearchRepo } from '../api/src/messages/search-repo.js';
import { COMMON_OPTIONS, int, machineInfo, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { BENCH_DOMAIN, startBenchGateway, type BenchGateway } from './bench-gateway.js';
import { summarise, type LatencySummary } from './percentiles.js';
import { makeCorpus, mailAt, makeQueries, type BenchQuery, type QueryKind } from './search-corpus.js';
import { fixed, formatTable } from './table.js';

export const SEARCH_USAGE = 'usage: npm run bench -- search [--engine pglite|postgres|both] [--messages 100000] [--queries 200] [--limit 20] [--explain]';

const BATCH = 2_000;
const bot = `bot@${BENCH_DOMAIN}`;
/** The headers a stored message carries, about as many bytes as real mail's: rows as wide as real ones. */
const HEADERS = JSON.stringify(
  ['Received', 'Received', 'DKIM-Signature', 'Authentication-Results', 'Date', 'From', 'To', 'Subject', 'Message-ID', 'MIME-Version', 'Content-Type'].map((name, i) => ({
    name,
    value: `${name.toLowerCase()} value ${'x'.repeat(40 + i * 7)}`,
  })),
);

interface SearchOptions {
  engine: Engine;
  messages: number;
  queries: number;
  limit: number;
  explain: boolean;
}

interface QueryRun {
  q: string;
  kind: QueryKind;
  words: number;
  /** Messages matching (count(*), untimed). */
  matches: number;
  mailboxMs: number;
  accountMs: number;
}

interface SearchResult {
  engine: Engine;
  options: SearchOptions;
  seedSeconds: number;
  /** The first search after the load, not in the figures (PGlite gathers statistics then). */
  firstSearchMs: number;
  /** Size of the messages and message_blobs tables with their indexes, and of the GIN index alone (bytes). */
  tableBytes: number;
  indexBytes: number;
  runs: QueryRun[];
  mailbox: LatencySummary;
  account: LatencySummary;
  byKind: Record<QueryKind, { mailbox: LatencySummary; account: LatencySummary; medianMatches: number }>;
  explain: string | null;
}

/** Fills the agent's mailbox: messages, their blobs (sealed bodies) and conversations, BATCH per statement. */
export async function seed(bench: BenchGateway, agentId: string, count: number): Promise<void> {
  const db = bench.gateway.database.db;
  const box = new SecretBox(bench.gateway.secrets.encryptionKey);
  const corpus = makeCorpus();
  const yearMs = 365 * 86_400_000;
  const now = Date.now();
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const rows = Array.from({ length: n }, (_, k) => {
      const i = start + k;
      const mail = mailAt(corpus, i);
      const doc = searchDocument({ subject: mail.subject, from: { address: mail.fromAddress, name: mail.fromName }, recipients: [{ address: bot }], attachments: [], text: mail.body, html: null });
      return { id: newId('message'), blob: newId('blob'), conversation: newId('conversation'), mail, doc, sealed: box.seal(mail.body).toString('hex'), at: new Date(now - ((i * 7919) % count) * (yearMs / count)) };
    });
    const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
    await sql`
      WITH d AS (
        SELECT * FROM unnest(${col((r) => r.id)}::text[], ${col((r) => r.blob)}::text[], ${col((r) => r.conversation)}::text[], ${col((r) => r.mail.subject)}::text[],
                             ${col((r) => r.mail.fromAddress)}::text[], ${col((r) => r.mail.fromName)}::text[], ${col((r) => r.doc.subject)}::text[], ${col((r) => r.doc.names)}::text[],
                             ${col((r) => r.doc.body)}::text[], ${col((r) => r.sealed)}::text[], ${col((r) => r.at)}::timestamptz[], ${col((r) => Buffer.byteLength(r.mail.body))}::integer[])
          AS d(id, blob_id, conversation_id, subject, from_address, from_name, doc_subject, doc_names, doc_body, sealed, received_at, size)
      ), b AS (
        INSERT INTO message_blobs (id, raw, text_body, html_body, created_at, search)
        SELECT blob_id, NULL, decode(sealed, 'hex'), NULL, received_at,
               ${searchVector({ subject: sql.ref('d.doc_subject'), names: sql.ref('d.doc_names'), body: sql.ref('d.doc_body') })}
        FROM d
      ), c AS (
        INSERT INTO conversations (id, agent_id, subject, message_count, created_at, last_message_at) SELECT conversation_id, ${agentId}, subject, 1, received_at, received_at FROM d
      )
      INSERT INTO messages (id, agent_id, conversation_id, direction, status, message_id_header, dedupe_key, content_hash, from_address, from_name, to_addresses,
                            subject, headers, verified, blob_id, size_bytes, read_at, received_at, created_at)
      SELECT d.id, ${agentId}, d.conversation_id, 'inbound', 'received', d.id || '@bench', d.id, d.id, d.from_address, d.from_name,
             ${JSON.stringify([{ address: bot, name: null }])}::jsonb, d.subject, ${HEADERS}::jsonb, true, d.blob_id, d.size,
             CASE WHEN right(d.id, 1) < 'm' THEN d.received_at END, d.received_at, d.received_at
      FROM d`.execute(db);
    if ((start / BATCH) % 10 === 9) process.stderr.write(`bench search: ${start + n} messages …\n`);
  }
  // What autovacuum does after a bulk load on PostgreSQL. PGlite runs no autovacuum, so its tables
  // stay as production's would: no statistics, no visibility map.
  if (bench.gateway.database.engine === 'postgres') {
    await sql`VACUUM ANALYZE messages`.execute(db);
    await sql`VACUUM ANALYZE message_blobs`.execute(db);
  }
}

async function timed(bench: BenchGateway, path: string): Promise<number> {
  const started = performance.now();
  await bench.api<{ items: unknown[] }>('GET', path);
  return performance.now() - started;
}

async function runSearch(opts: SearchOptions): Promise<SearchResult> {
  const bench = await startBenchGateway(opts.engine);
  try {
    const db = bench.gateway.database.db;
    const agent = await bench.api<{ address: string }>('POST', '/v1/agents', { local_part: 'bot' });
    const { id: agentId } = await db.selectFrom('agents').select('id').where('address', '=', agent.address).executeTakeFirstOrThrow();
    const seeded = performance.now();
    await seed(bench, agentId, opts.messages);
    const seedSeconds = (performance.now() - seeded) / 1000;
    const sizes = await sql<{ table: string; index: string }>`
      SELECT (pg_total_relation_size('messages') + pg_total_relation_size('message_blobs'))::text AS table, pg_relation_size('message_blobs_search')::text AS index`.execute(db);

    const queries = makeQueries(makeCorpus(), opts.queries);
    const mailboxPath = (q: BenchQuery) => `/v1/agents/${encodeURIComponent(bot)}/messages?q=${encodeURIComponent(q.q)}&limit=${opts.limit}`;
    const accountPath = (q: BenchQuery) => `/v1/search?q=${encodeURIComponent(q.q)}&limit=${opts.limit}`;
    // The first search after the load: on PGlite it also gathers the tables' statistics (db/fresh-statistics.ts).
    const firstSearchMs = await timed(bench, mailboxPath(queries[0]!));
    const matches = new Map<string, number>();
    for (const query of queries) {
      // One blob per message here: the blobs that match are the messages that match.
      const row = await sql<{ n: string }>`SELECT count(*)::text AS n FROM message_blobs WHERE search @@ websearch_to_tsquery('simple', ${query.q})`.execute(db);
      matches.set(query.q, Number(row.rows[0]!.n));
    }
    // Warm-up: the first pass loads pages and plans; it is not counted.
    for (const query of queries.slice(0, 20)) {
      await timed(bench, mailboxPath(query));
      await timed(bench, accountPath(query));
    }
    const runs: QueryRun[] = [];
    for (const query of queries) {
      runs.push({ ...query, matches: matches.get(query.q)!, mailboxMs: await timed(bench, mailboxPath(query)), accountMs: await timed(bench, accountPath(query)) });
    }

    let explain: string | null = null;
    if (opts.explain) {
      // The query that matched most, and the one that took longest, as SearchRepo runs them.
      const widest = [...runs].sort((a, b) => b.matches - a.matches)[0]!;
      const slowest = [...runs].sort((a, b) => b.mailboxMs - a.mailboxMs)[0]!;
      const repo = new SearchRepo(db, systemClock);
      const parts: string[] = [];
      for (const run of widest === slowest ? [widest] : [widest, slowest]) {
        const { walk, plan } = await repo.explainMailbox(agentId, { q: run.q, filters: {}, after: null, limit: opts.limit });
        parts.push(`q=${JSON.stringify(run.q)} (${run.matches} matches, ${walk ? 'walked newest first' : 'by the GIN index'})\n${plan.join('\n')}`);
      }
      explain = parts.join('\n\n');
    }

    const kinds: QueryKind[] = ['common', 'mid', 'rare', 'mixed'];
    const byKind = Object.fromEntries(
      kinds.map((kind) => {
        const of = runs.filter((r) => r.kind === kind);
        const counts = of.map((r) => r.matches).sort((a, b) => a - b);
        return [kind, { mailbox: summarise(of.map((r) => r.mailboxMs)), account: summarise(of.map((r) => r.accountMs)), medianMatches: counts[Math.floor(counts.length / 2)] ?? 0 }];
      }),
    ) as SearchResult['byKind'];
    return {
      engine: opts.engine,
      options: opts,
      seedSeconds,
      firstSearchMs,
      tableBytes: Number(sizes.rows[0]!.table),
      indexBytes: Number(sizes.rows[0]!.index),
      runs,
      mailbox: summarise(runs.map((r) => r.mailboxMs)),
      account: summarise(runs.map((r) => r.accountMs)),
      byKind,
      explain,
    };
  } finally {
    await bench.close();
  }
}

export async function searchMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, messages: { type: 'string', default: '100000' }, queries: { type: 'string', default: '200' }, limit: { type: 'string', default: '20' }, explain: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${SEARCH_USAGE}\n`);
    return 0;
  }
  const stamp = startResults();
  const engines = resolveEngines(values.engine);
  const options = { messages: int('messages', values.messages, 1), queries: int('queries', values.queries, 1), limit: int('limit', values.limit, 1), explain: values.explain };
  const run = (engine: Engine) => runSearch({ engine, ...options });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  const results = await runEngines('search', argv, engines, run);
  const ms = (s: LatencySummary) => [fixed(s.p50, 1), fixed(s.p99, 1), fixed(s.max, 1)];
  process.stdout.write(`\nsearch: ${options.messages} messages in one mailbox, ${options.queries} queries of 1–3 words, one at a time over HTTP, limit ${options.limit}\n`);
  process.stdout.write(
    `${formatTable(
      ['engine', 'route', 'p50 ms', 'p99 ms', 'max ms', 'first ms', 'seed s', 'tables MiB', 'GIN MiB'],
      results.flatMap((r) => [
        [r.engine, 'GET …/messages?q=', ...ms(r.mailbox), fixed(r.firstSearchMs, 0), fixed(r.seedSeconds, 0), fixed(r.tableBytes / 2 ** 20, 0), fixed(r.indexBytes / 2 ** 20, 0)],
        [r.engine, 'GET /v1/search?q=', ...ms(r.account), '', '', '', ''],
      ]),
    )}\n`,
  );
  process.stdout.write(
    `\nby kind of query (mailbox route)\n${formatTable(
      ['engine', 'kind', 'queries', 'median matches', 'p50 ms', 'p99 ms', 'max ms'],
      results.flatMap((r) => (Object.entries(r.byKind) as Array<[QueryKind, SearchResult['byKind'][QueryKind]]>).map(([kind, k]) => [r.engine, kind, String(k.mailbox.count), String(k.medianMatches), ...ms(k.mailbox)])),
    )}\n`,
  );
  for (const r of results) if (r.explain) process.stdout.write(`\n${r.engine}: EXPLAIN ANALYZE of the mailbox search, ${r.explain}\n`);
  saveResults('search', stamp, machineInfo(), results);
  return 0;
}
