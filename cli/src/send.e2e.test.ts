/** `e2a send`, `reply` and `reviews` against a live gateway, with the exit codes of the table. */
import { createServer, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2A } from '@e2a/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../sdk-ts/src/testing/live-server.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './testing/run-cli.js';

let server: LiveServer;
let blackhole: Server;
let e2a: E2A;
let env: Record<string, string>;
const bot = 'bot@agents.test';
const peer = 'peer@agents.test';
const careful = 'careful@agents.test';

beforeAll(async () => {
  // An "upstream" that accepts TCP and never says a word: external mail stays queued.
  blackhole = createServer(() => {});
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const port = (blackhole.address() as { port: number }).port;
  server = await startLiveServer({
    E2A_OUTBOUND_SMTP_MODE: 'upstream',
    E2A_OUTBOUND_SMTP_HOST: '127.0.0.1',
    E2A_OUTBOUND_SMTP_PORT: String(port),
    E2A_OUTBOUND_SMTP_REQUIRE_TLS: 'false',
    E2A_OUTBOUND_SMTP_TIMEOUT_MS: '5000',
  });
  e2a = new E2A({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  for (const local_part of ['bot', 'peer', 'careful']) await e2a.agents.create({ local_part });
  await e2a.agents.setProtection(careful, { outbound: { policy: 'allowlist', allowlist: [], action: 'review' } });
  env = { E2A_API_URL: server.baseUrl, E2A_API_KEY: server.apiKey, E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')) };
});
afterAll(async () => {
  await server?.stop();
  blackhole?.close();
});

const e2aCli = (args: string[]) => runCli(args, env);

describe('e2a send, reply and reviews', () => {
  it('sends to another agent and waits for "sent" (exit 0); the reply threads back', async () => {
    const sent = await e2aCli(['--json', 'send', '--agent', bot, '--to', peer, '--subject', 'from the cli', '--body', 'hello peer', '--wait']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout).status).toBe('sent');
    const { items } = await e2a.messages.list(peer, { subject_contains: 'from the cli' });
    expect(items).toHaveLength(1);
    const reply = await e2aCli(['--json', 'reply', items[0]!.id, '--agent', peer, '--body', 'got it', '--wait']);
    expect(reply.code, reply.stderr).toBe(0);
    const back = await e2a.messages.list(bot, { subject_contains: 'Re: from the cli' });
    expect(back.items).toHaveLength(1);
    expect(back.items[0]!.conversation_id).toBe((await e2a.messages.list(bot, { direction: 'outbound', subject_contains: 'from the cli' })).items[0]!.conversation_id);
  });

  it('send --priority urgent marks the mail urgent, and the receiving agent sees it so', async () => {
    const sent = await e2aCli(['--json', 'send', '--agent', bot, '--to', peer, '--subject', 'urgent from the cli', '--body', 'now please', '--priority', 'urgent', '--wait']);
    expect(sent.code, sent.stderr).toBe(0);
    expect((await e2a.messages.get(bot, JSON.parse(sent.stdout).id)).priority).toBe('urgent');
    const { items } = await e2a.messages.list(peer, { subject_contains: 'urgent from the cli', priority: 'urgent' });
    expect(items.map((m) => m.priority)).toEqual(['urgent']);
    expect((await e2aCli(['send', '--agent', bot, '--to', peer, '--subject', 'x', '--body', 'x', '--priority', 'high'])).code).toBe(EXIT.usage);
  });

  it('exits 3 when the message is held for review; reviews list, approve and reject decide it', async () => {
    const held = await e2aCli(['--json', 'send', '--agent', careful, '--to', peer, '--subject', 'needs a look', '--body', 'please check']);
    expect(held.code).toBe(EXIT.heldForReview);
    const result = JSON.parse(held.stdout);
    expect(result.status).toBe('pending_review');
    const list = await e2aCli(['--json', 'reviews', 'list']);
    expect(JSON.parse(list.stdout).map((r: { id: string }) => r.id)).toContain(result.review_id);
    const approved = await e2aCli(['--json', 'reviews', 'approve', result.review_id, '--note', 'fine']);
    expect(JSON.parse(approved.stdout).status).toBe('approved');

    const second = JSON.parse((await e2aCli(['--json', 'send', '--agent', careful, '--to', peer, '--subject', 'no way', '--body', 'x'])).stdout);
    const rejected = await e2aCli(['--json', 'reviews', 'reject', second.review_id, '--reason', 'not today']);
    expect(JSON.parse(rejected.stdout).status).toBe('rejected');
    expect((await e2aCli(['reviews', 'approve', second.review_id])).code).not.toBe(0);
  });

  it('exits 6 when --wait runs out and the message is still queued', async () => {
    const r = await e2aCli(['send', '--agent', bot, '--to', 'someone@example.com', '--subject', 'slow', '--body', 'x', '--wait', '--timeout', '2']);
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stderr).toContain('still queued');
  });

  it('exits 5 for a message that failed permanently, and 2 for bad input', async () => {
    await e2a.agents.setProtection(bot, { outbound: { policy: 'domain', allowlist: [], action: 'block' } });
    const blocked = await e2aCli(['send', '--agent', bot, '--to', 'someone@example.com', '--subject', 'blocked', '--body', 'x']);
    expect(blocked.code).toBe(EXIT.auth);
    expect(blocked.stderr).toMatch(/blocked|polic/i);
    const bad = await e2aCli(['send', '--agent', bot, '--to', 'not an address', '--subject', 'x', '--body', 'x']);
    expect(bad.code).toBe(EXIT.usage);
    const missing = await e2aCli(['reply', 'msg_nope', '--agent', bot, '--body', 'x']);
    expect(missing.code).toBe(EXIT.notFound);
  });
});
