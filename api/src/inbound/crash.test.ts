/**
 * DESIGN §4: "250 means the message is committed. A crash after 250 loses nothing … re-sent
 * duplicates are stored once." This test holds the real process to that: it SIGKILLs a running
 * gateway in the middle of a stream of SMTP transactions, restarts it on the same data and checks
 * every acknowledged Message-ID is there exactly once, then re-sends some and checks they stay once.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, ENGINES, type Engine } from '../testing/databases.js';
import { storedMessageIds, tally } from '../testing/mailbox.js';
import { startServer, type RunningServer } from '../testing/server-process.js';

const DOMAIN = 'agents.test';
const AGENT = `bot@${DOMAIN}`;
const SENDER = 'alice@example.com';
const TOTAL = 300;
const CONNECTIONS = 6;
const KILL_AFTER_ACKS = 100;

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts `serve`; a child still running when the test ends is SIGKILLed. */
async function startGateway(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer(env);
  cleanups.push(() => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  });
  return server;
}

/** The admin key `serve` prints on its first start against an empty database, or null. */
function printedApiKey(server: RunningServer): string | null {
  return /API key: (e2a_\S+)/.exec(server.output())?.[1] ?? null;
}

function messageFor(i: number, runId: string): { messageId: string; raw: Buffer } {
  const messageId = `crash-${i}.${runId}@example.com`;
  const raw = buildMessage({
    from: `Alice <${SENDER}>`,
    to: AGENT,
    subject: `crash test ${i}`,
    messageId,
    body: `message ${i} of ${TOTAL}\n${'filler line so DATA is not trivially small\n'.repeat(20)}`,
  });
  return { messageId, raw };
}

/**
 * Sends `messages` over `connections` parallel SMTP sessions, several per session. `onAck` sees each
 * 250 as it arrives. A session whose socket dies stops; its in-flight message is unknown, not acked.
 */
async function sendAll(
  port: number,
  messages: Array<{ messageId: string; raw: Buffer }>,
  connections: number,
  onAck: (messageId: string) => void,
): Promise<{ acked: string[]; refused: Array<{ messageId: string; code: number }> }> {
  const acked: string[] = [];
  const refused: Array<{ messageId: string; code: number }> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    let client: SmtpTestClient;
    try {
      client = await SmtpTestClient.connect(port);
      await client.ehlo();
    } catch {
      return;
    }
    try {
      while (next < messages.length) {
        const msg = messages[next++]!;
        const result = await client.send(SENDER, [AGENT], msg.raw);
        if (result.data?.code === 250) {
          acked.push(msg.messageId);
          onAck(msg.messageId);
        } else {
          refused.push({ messageId: msg.messageId, code: result.data?.code ?? result.rcpt[0]?.code ?? result.mail.code });
        }
      }
      await client.quit();
    } catch {
      // The gateway died under us: whatever this session had in flight is "unknown".
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { acked, refused };
}

async function prepareStorage(engine: Engine): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'e2a-crash-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  if (engine === 'pglite') return { E2A_DATA_DIR: dir };
  const created = await createPostgresDatabase();
  cleanups.push(() => created.drop());
  return { E2A_DATABASE_URL: created.url, E2A_DATA_DIR: dir };
}

describe.each(ENGINES)('crash during inbound SMTP (%s)', (engine) => {
  it('keeps every 250-acknowledged message exactly once across SIGKILL and restart', { timeout: 90_000 }, async () => {
    const storage = await prepareStorage(engine);
    const env: Record<string, string> = {
      ...storage,
      E2A_ENV: 'test',
      E2A_SHARED_DOMAIN: DOMAIN,
      E2A_SMTP_HOSTNAME: 'mx.agents.test',
      E2A_SIGNING_HMAC_SECRET: 'crash-test-hmac-secret-0123456789abcdef',
      E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      // Nothing listens on port 9: every lookup is refused at once, so verdicts are temperror/none
      // without touching the network. Authentication is not under test here; durability is.
      E2A_DNS_SERVERS: '127.0.0.1:9',
      // 300 messages from one sender to one mailbox, and re-sends: over the default sender budget.
      E2A_SMTP_LIMITS_MESSAGES_PER_SENDER_PER_MAILBOX_PER_HOUR: '0',
    };
    const runId = `${engine}-${Date.now().toString(36)}`;
    const messages = Array.from({ length: TOTAL }, (_, i) => messageFor(i, runId));
    const sent = new Set(messages.map((m) => m.messageId));

    const first = await startGateway(env);
    const apiKey = printedApiKey(first)!;
    expect(apiKey).not.toBeNull();
    const created = await fetch(`${first.http}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ local_part: 'bot' }),
    });
    expect(created.status).toBe(201);

    let killed = false;
    let ackCount = 0;
    const { acked, refused } = await sendAll(first.smtpPort, messages, CONNECTIONS, () => {
      // Kill at the moment the 100th 250 arrives, so other sessions are mid-transaction.
      if (!killed && ++ackCount >= KILL_AFTER_ACKS) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    });
    await first.exited;
    expect(killed).toBe(true);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(refused).toEqual([]);
    // Some sessions must have been cut off mid-stream, or the kill proved nothing.
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acked.length).toBeLessThan(TOTAL);
    expect(new Set(acked).size).toBe(acked.length);
    if (engine === 'pglite') expect(existsSync(join(env.E2A_DATA_DIR!, 'e2a.pid'))).toBe(true);

    // Same data, stale pid lock left by the SIGKILL: the restart must take it over.
    const second = await startGateway(env);
    expect(printedApiKey(second)).toBeNull();
    const stored = tally(await storedMessageIds(second.http, apiKey, AGENT));
    const duplicates = [...stored].filter(([, n]) => n > 1);
    expect(duplicates).toEqual([]);
    const missing = acked.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    expect([...stored.keys()].filter((id) => !sent.has(id))).toEqual([]);
    // Committed-but-unacknowledged messages (killed between COMMIT and the 250) may be stored too;
    // at most one per session could be in that state.
    expect(stored.size).toBeLessThanOrEqual(acked.length + CONNECTIONS);

    // The sender retries some it already delivered, byte for byte: still stored once each.
    const again = acked.slice(0, 5).map((id) => messages.find((m) => m.messageId === id)!);
    const resent = await sendAll(second.smtpPort, again, 1, () => {});
    expect(resent.refused).toEqual([]);
    expect(resent.acked.sort()).toEqual(again.map((m) => m.messageId).sort());
    const after = tally(await storedMessageIds(second.http, apiKey, AGENT));
    expect(after.size).toBe(stored.size);
    expect([...after].filter(([, n]) => n > 1)).toEqual([]);

    second.child.kill('SIGTERM');
    await second.exited;
    expect(second.child.exitCode).toBe(0);
  });
});
