/**
 * Hundreds of idle SMTP connections must not take the process's file descriptors, and with them the
 * HTTP API, away. The gateway runs as a child process with a small open-file limit (ulimit -n 400;
 * the embedded database alone holds ~170 files open) and a cap of 100 sessions; 600 connections are
 * opened and held, more than the limit allows. The engine does not matter to a
 * per-process descriptor limit, so this runs on the embedded default only.
 */
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '@e2a/relay/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deliver } from '../testing/mail.js';
import { startServer, type RunningServer } from '../testing/server-process.js';
import { until } from '../testing/until.js';

const HOGS = 600;

describe('SMTP connection flood against a small descriptor limit', () => {
  let server: RunningServer | undefined;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('caps sessions, answers the rest 421, and keeps the HTTP API and new SMTP clients served', async () => {
    server = await startServer(
      {
        E2A_DATA_DIR: mkdtempSync(join(tmpdir(), 'e2a-flood-')),
        E2A_SHARED_DOMAIN: 'agents.test',
        E2A_SMTP_LIMITS_MAX_CONNECTIONS: '100',
        // Every hog comes from 127.0.0.1: the total cap is what this test is about.
        E2A_SMTP_LIMITS_MAX_CONNECTIONS_PER_CLIENT: '1000',
      },
      undefined,
      { fdLimit: 400 },
    );
    const greetings = new Map<string, number>();
    const opened = await Promise.all(
      Array.from({ length: HOGS }, () =>
        new Promise<void>((resolve) => {
          const s = connect({ port: server!.smtpPort, host: '127.0.0.1' });
          sockets.push(s);
          let seen = '';
          s.setEncoding('latin1');
          s.on('data', (d: string) => {
            if (seen.includes('\n')) return;
            seen += d;
            if (seen.includes('\n')) {
              const code = seen.slice(0, 3);
              greetings.set(code, (greetings.get(code) ?? 0) + 1);
              resolve();
            }
          });
          // A reset before any greeting counts as a refusal too; the test only needs every hog settled.
          s.on('error', () => resolve());
          s.on('close', () => resolve());
        }),
      ),
    );
    expect(opened).toHaveLength(HOGS);
    // At most the cap got a session; the first ones over it were told to come back later, and the
    // rest of the flood was closed at once (no greeting at all), so descriptors stay bounded.
    expect(greetings.get('220') ?? 0).toBeLessThanOrEqual(100);
    expect(greetings.get('421') ?? 0).toBeGreaterThan(0);
    expect([...greetings.keys()].filter((code) => code !== '220' && code !== '421')).toEqual([]);

    // With 100 sessions held open, the HTTP API still answers.
    const ready = await fetch(`${server.http}/readyz`);
    expect(ready.status).toBe(200);

    // Once the hogs go, a real sender gets through (the server notices the closes asynchronously).
    for (const s of sockets.splice(0)) s.destroy();
    const key = /API key: (e2a_\S+)/.exec(server.output())![1]!;
    const made = await fetch(`${server.http}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ local_part: 'bot' }),
    });
    expect(made.status).toBe(201);
    await until('a session slot after the flood', async () => {
      try {
        return await deliver(server!.smtpPort, 'alice@example.com', ['bot@agents.test'], buildMessage({ to: 'bot@agents.test' }));
      } catch {
        return null;
      }
    });
  });
});
