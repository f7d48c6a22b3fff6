/**
 * The delivery bench's anchor (`--anchor`), a child process so that its CPU is its own: it re-posts
 * the drain's recorded webhook requests (same paths, headers and bodies) to the same receiver at the
 * same concurrency, and reports its CPU per post. Two modes, each in a fresh child:
 *
 * - `bare`: the least a keep-alive client does, an undici Pool with one connection per concurrent
 *   post, the response body dumped. What "CPU per delivery" is compared with.
 * - `poster`: the gateway's own webhook transport (createHttpPoster, private targets allowed as the
 *   bench gateway runs it) with no database around it, which tells the HTTP client's share of the
 *   gateway's figure apart from the queue's.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { targetPolicy } from '../api/src/net/address-policy.js';
import { createHttpPoster } from '../api/src/net/http-poster.js';
import { VERSION } from '../api/src/version.js';
import type { AnchorCommand, AnchorMode, AnchorReport, RecordedPost } from './delivery-protocol.js';
import { onParentCommand } from './load-child.js';

/** Posts one recorded request; true when answered 2xx. */
type Post = (r: RecordedPost) => Promise<boolean>;

let connections = 0;
// Published by node:net for every client socket it creates, whoever creates it.
subscribe('net.client.socket', () => connections++);

function barePoster(origin: string, concurrency: number): { post: Post; close: () => Promise<void> } {
  const pool = new Pool(origin, { connections: concurrency });
  return {
    async post(r) {
      const res = await pool.request({
        method: 'POST',
        path: r.path,
        headers: { ...r.headers, 'content-type': 'application/json', 'user-agent': `e2a-webhooks/${VERSION}` },
        body: r.body,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    },
    close: () => pool.close(),
  };
}

function gatewayPoster(origin: string): { post: Post; close: () => Promise<void> } {
  const transport = createHttpPoster({ policy: targetPolicy(true), timeoutMs: 10_000 });
  return {
    async post(r) {
      const outcome = await transport.post({ url: `${origin}${r.path}`, headers: r.headers, body: r.body });
      return outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300;
    },
    close: () => transport.close(),
  };
}

async function postAll(post: Post, requests: RecordedPost[], concurrency: number): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      if (!(await post(r).catch(() => false))) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return failed;
}

async function run(mode: AnchorMode, origin: string, file: string, concurrency: number, warmup: number): Promise<AnchorReport> {
  const requests = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedPost);
  const client = mode === 'bare' ? barePoster(origin, concurrency) : gatewayPoster(origin);
  // JIT and the connections first, as the gateway's measured drain follows its latency phases.
  await postAll(client.post, requests.slice(0, warmup), concurrency);
  connections = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const failed = await postAll(client.post, requests, concurrency);
  const spanMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const opened = connections;
  await client.close();
  return { type: 'anchor-done', mode, posts: requests.length, failed, cpuMs: (cpu.user + cpu.system) / 1000, spanMs, connections: opened };
}

onParentCommand<AnchorCommand>('delivery-anchor', async (cmd) => {
  if (cmd.type === 'exit') process.exit(0);
  process.send!(await run(cmd.mode, cmd.origin, cmd.file, cmd.concurrency, cmd.warmup));
});
