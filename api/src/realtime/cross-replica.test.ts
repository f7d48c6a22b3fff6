/**
 * Two e2a-server processes on one PostgreSQL: mail accepted over SMTP by one reaches a WebSocket
 * listener connected to the other (LISTEN/NOTIFY across processes, DESIGN §7), and a key revoked or
 * an agent deleted through one closes the listeners connected to the other.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage } from '@e2a/relay/testing';
import { CLOSE } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../testing/databases.js';
import { deliver } from '../testing/mail.js';
import { startServer, type RunningServer } from '../testing/server-process.js';
import { REVOKED_REASON } from './credential-watch.js';
import { TestListener } from './test-listener.js';

describe.runIf(TEST_DATABASE_URL)('two gateway processes on one PostgreSQL (needs TEST_DATABASE_URL)', () => {
  const servers: RunningServer[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let a: RunningServer;
  let b: RunningServer;
  let key: string;

  const api = (path: string, init: { method: string; body?: unknown } = { method: 'GET' }) =>
    fetch(`${a.http}${path}`, {
      method: init.method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  async function agent(local: string): Promise<string> {
    const made = await api('/v1/agents', { method: 'POST', body: { local_part: local } });
    expect(made.status).toBe(201);
    return `${local}@agents.test`;
  }

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    cleanups.push(created.drop);
    const env = (name: string) => ({
      E2A_DATABASE_URL: created.url,
      E2A_DATA_DIR: mkdtempSync(join(tmpdir(), `e2a-ws-${name}-`)),
      E2A_SHARED_DOMAIN: 'agents.test',
      // No fallback poll or credential re-check within the tests' waits: only the cross-process
      // notifications can deliver an event or close a listener.
      E2A_REALTIME_POLL_INTERVAL_MS: '60000',
      E2A_REALTIME_CREDENTIAL_CHECK_INTERVAL_MS: '300000',
    });
    // Only the first process on an empty database prints an admin key, so A starts alone first.
    a = await startServer(env('a'));
    servers.push(a);
    const printed = /API key: (e2a_\S+)/.exec(a.output())?.[1];
    expect(printed, a.output()).toBeDefined();
    key = printed!;
    b = await startServer(env('b'));
    servers.push(b);
  });
  afterAll(async () => {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
    for (const c of cleanups) await c();
  });

  it('delivers mail accepted by process A to a listener on process B', async () => {
    const address = await agent('bot');
    const listener = await TestListener.connect(b.http, address, { key });
    await listener.ready();

    await deliver(a.smtpPort, 'alice@example.com', [address], buildMessage({ to: address, subject: 'via A', messageId: 'cross-1@example.com' }));
    const [event] = await listener.waitEvents(1);
    expect(event).toMatchObject({ type: 'email.received', data: { agent_address: address, subject: 'via A' } });
    await listener.close();
  });

  it('a key revoked through process A closes its listener on process B', async () => {
    const address = await agent('revoked-across');
    const res = await api('/v1/account/api-keys', { method: 'POST', body: { name: 'across', scope: 'agent', agent_address: address } });
    const made = (await res.json()) as { id: string; key: string };
    const listener = await TestListener.connect(b.http, address, { key: made.key });
    await listener.ready();

    expect((await api(`/v1/account/api-keys/${made.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.key });
  });

  it('an agent deleted through process A closes its listener on process B', async () => {
    const address = await agent('deleted-across');
    const listener = await TestListener.connect(b.http, address, { key });
    await listener.ready();

    expect((await api(`/v1/agents/${encodeURIComponent(address)}?confirm=${encodeURIComponent(address)}`, { method: 'DELETE' })).status).toBe(202);
    expect(await listener.closedWithin()).toEqual({ code: CLOSE.revoked, reason: REVOKED_REASON.erasing });
  });
});
