/**
 * `npm run bench -- lists [--engine pglite|postgres|both] [--members 1000] [--posts 5] [--size 4096]`:
 * fan-out of one SMTP message to a list of N member agents (docs/PERFORMANCE.md "Lists: fan-out").
 * The gateway runs in this process on a fresh database; N agents join one list (post policy
 * anyone_verified); each post is one DKIM-signed message from a DMARC-passing sender, timed from the
 * end of DATA (the client's final dot) to the 250. On PostgreSQL the statements the gateway ran for
 * each post are counted (sql-stats.ts) and given per member.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signMessage } from '@e2a/relay/testing';
import { toWire } from './bench-messages.js';
import { sql } from 'kysely';
import { SmtpTestClient } from '@e2a/relay/testing';
import { COMMON_OPTIONS, int, machineInfo, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { SENDER_DOMAIN, startBenchGateway } from './bench-gateway.js';
import { buildSizedMessage } from './bench-messages.js';
import { percentile } from './percentiles.js';
import { installSqlStats, takeSqlStats, type StatementStat } from './sql-stats.js';
import { fixed, formatTable } from './table.js';

export const LISTS_USAGE = 'usage: npm run bench -- lists [--engine pglite|postgres|both] [--members 1000] [--posts 5] [--size 4096]';

interface ListsOptions {
  engine: Engine;
  members: number;
  posts: number;
  sizeBytes: number;
}

interface ListsResult {
  engine: Engine;
  options: ListsOptions;
  /** DATA end → 250, per post. */
  latenciesMs: number[];
  copiesPerPost: number;
  /** Statements per post (PostgreSQL only), and the heaviest ones of the last post. */
  statementsPerPost: number | null;
  statementsPerMember: number | null;
  topStatements: StatementStat[];
}

async function runLists(opts: ListsOptions): Promise<ListsResult> {
  if (opts.engine === 'postgres') installSqlStats();
  const bench = await startBenchGateway(opts.engine, { E2A_API_LIMITS_MAX_AGENTS_PER_ACCOUNT: String(opts.members + 10) });
  try {
    const { api, gateway } = bench;
    const list = await api<{ address: string }>('POST', '/v1/lists', { local_part: 'everyone', post_policy: 'anyone_verified' });
    for (let i = 0; i < opts.members; i += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, opts.members - i) }, async (_, j) => {
          const agent = await api<{ address: string }>('POST', '/v1/agents', { local_part: `member${i + j}` });
          await api('POST', `/v1/lists/${list.address}/members`, { agent_address: agent.address });
        }),
      );
    }
    const runId = `lists${Date.now().toString(36)}`;
    const latenciesMs: number[] = [];
    let statements: number | null = null;
    let top: StatementStat[] = [];
    for (let p = 0; p < opts.posts; p++) {
      const raw = await signMessage(buildSizedMessage(p, runId, { from: `alice@${SENDER_DOMAIN}`, to: list.address }, opts.sizeBytes), bench.senderKey);
      takeSqlStats();
      latenciesMs.push(await post(gateway.smtpPort, list.address, raw));
      if (opts.engine === 'postgres') {
        top = takeSqlStats();
        statements = top.reduce((n, s) => n + s.count, 0);
      }
    }
    const copies = await gateway.database.db
      .selectFrom('messages')
      .select(sql<number>`count(*)::int`.as('n'))
      .where(sql<boolean>`envelope @> ${JSON.stringify({ rcpt_to: list.address })}::jsonb`)
      .executeTakeFirstOrThrow();
    return {
      engine: opts.engine,
      options: opts,
      latenciesMs,
      copiesPerPost: copies.n / opts.posts,
      statementsPerPost: statements,
      statementsPerMember: statements === null ? null : statements / opts.members,
      topStatements: [...top].sort((a, b) => b.totalMs - a.totalMs).slice(0, 8),
    };
  } finally {
    await bench.close();
  }
}

/** One SMTP transaction; the time from writing the message and its final dot to the reply. */
async function post(port: number, list: string, raw: Buffer): Promise<number> {
  const client = await SmtpTestClient.connect(port);
  try {
    await client.ehlo('load.sender.example');
    for (const line of [`MAIL FROM:<alice@${SENDER_DOMAIN}>`, `RCPT TO:<${list}>`]) {
      const reply = await client.command(line);
      if (reply.code !== 250) throw new Error(`${line} answered ${reply.code} ${reply.text}`);
    }
    const go = await client.command('DATA');
    if (go.code !== 354) throw new Error(`DATA answered ${go.code} ${go.text}`);
    const started = performance.now();
    client.write(toWire(raw));
    const reply = await client.nextReply();
    const ms = performance.now() - started;
    if (reply.code !== 250) throw new Error(`the post answered ${reply.code} ${reply.text}`);
    return ms;
  } finally {
    await client.quit();
  }
}

export async function listsMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, members: { type: 'string', default: '1000' }, posts: { type: 'string', default: '5' }, size: { type: 'string', default: '4096' } },
  });
  if (values.help) {
    process.stdout.write(`${LISTS_USAGE}\n`);
    return 0;
  }
  const stamp = startResults();
  const engines = resolveEngines(values.engine ?? 'postgres');
  const options = { members: int('members', values.members, 1), posts: int('posts', values.posts, 1), sizeBytes: int('size', values.size, 256) };
  const run = (engine: Engine) => runLists({ engine, ...options });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  const results = await runEngines('lists', argv, engines, run);
  process.stdout.write(`\nlists: one ${options.sizeBytes}-byte message to a list of ${options.members} members over SMTP, ${options.posts} posts; DATA end → 250\n`);
  process.stdout.write(
    `${formatTable(
      ['engine', 'members', 'copies/post', 'p50 ms', 'max ms', 'statements/post', 'per member'],
      results.map((r) => [
        r.engine,
        String(r.options.members),
        String(r.copiesPerPost),
        fixed(percentile([...r.latenciesMs].sort((a, b) => a - b), 50), 0),
        fixed(Math.max(...r.latenciesMs), 0),
        r.statementsPerPost === null ? '–' : String(r.statementsPerPost),
        r.statementsPerMember === null ? '–' : fixed(r.statementsPerMember, 4),
      ]),
    )}\n`,
  );
  for (const r of results) if (r.topStatements.length) process.stdout.write(`\n${r.engine}: statements of the last post, slowest first\n${formatTable(['count', 'total ms', 'statement'], r.topStatements.map((s) => [String(s.count), fixed(s.totalMs, 1), s.statement]))}\n`);
  saveResults('lists', stamp, machineInfo(), results);
  return 0;
}
