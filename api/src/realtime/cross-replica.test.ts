/**
 * Two e2a-server processes on one PostgreSQL: mail accepted over SMTP by one reaches a WebSocket
 * listener connected to the other (LISTEN/NOTIFY across processes, DESIGN §7).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '@e2a/relay/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../testing/databases.js';
import { deliver } from '../testing/mail.js';
import { startServer, type RunningServer } from '../testing/server-process.js';
import { TestListener } from './test-listener.js';

describe.runIf(TEST_DATABASE_URL)('two gateway processes on one PostgreSQL (needs TEST_DATABASE_URL)', () => {
  const servers: RunningServer[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
    for (const c of cleanups) await c();
  });

  it('delivers mail accepted by process A to a listener on process B', async () => {
    const created = await createPostgresDatabase();
    cleanups.push(created.drop);
    const env = (name: string) => ({
      E2A_DATABASE_URL: created.url,
      E2A_DATA_DIR: mkdtempSync(join(tmpdir(), `e2a-ws-${name}-`)),
      E2A_SHARED_DOMAIN: 'agents.test',
      // No fallback poll within the test's wait: only the cross-process notification can deliver.
      E2A_REALTIME_POLL_INTERVAL_MS: '60000',
    });
    // Only the first process on an empty database prints an admin key, so A starts alone first.
    const a = await startServer(env('a'));
    servers.push(a);
    const key = /API key: (e2a_\S+)/.exec(a.output())?.[1];
    expect(key, a.output()).toBeDefined();
    const made = await fetch(`${a.http}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ local_part: 'bot' }),
    });
    expect(made.status).toBe(201);
    const address = 'bot@agents.test';

    const b = await startServer(env('b'));
    servers.push(b);
    const listener = await TestListener.connect(b.http, address, { key: key! });
    await listener.ready();

    await deliver(a.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'via A', messageId: 'cross-1@example.com' }));
    const [event] = await listener.waitEvents(1);
    expect(event).toMatchObject({ type: 'email.received', data: { agent_address: address, subject: 'via A' } });
    await listener.close();
  });
});
