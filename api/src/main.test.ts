import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, ENGINES } from './testing/databases.js';
import { runServer, startServer } from './testing/server-process.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function envFor(engine: 'pglite' | 'postgres'): Promise<Record<string, string>> {
  if (engine === 'pglite') return { E2A_DATA_DIR: mkdtempSync(join(tmpdir(), 'e2a-main-')) };
  const created = await createPostgresDatabase();
  cleanups.push(created.drop);
  return { E2A_DATABASE_URL: created.url, E2A_DATA_DIR: mkdtempSync(join(tmpdir(), 'e2a-main-')) };
}

describe('e2a-server command line', () => {
  it('exits 2 with one line naming a bad config key', async () => {
    const result = await runServer(['serve'], { E2A_HTTP_LISTEN_ADDR: 'not-an-address' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('http.listen_addr (env E2A_HTTP_LISTEN_ADDR)');
  });

  it('exits 2 on an unknown command', async () => {
    const result = await runServer(['frobnicate'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command frobnicate');
  });

  describe.each(ENGINES)('on %s', (engine) => {
    it('migrate --verify reports pending, migrate applies, then --verify passes', async () => {
      const env = await envFor(engine);
      const before = await runServer(['migrate', '--verify'], env);
      expect(before.code).toBe(1);
      expect(before.stdout).toContain('pending: 0001_init.sql');
      const applied = await runServer(['migrate'], env);
      expect(applied.code).toBe(0);
      const again = await runServer(['migrate'], env);
      expect(again.code).toBe(0);
      const after = await runServer(['migrate', '--verify'], env);
      expect(after.code).toBe(0);
      expect(after.stdout).toMatch(/schema current \(\d+ migrations\)/);
    });

    it('bootstrap prints an API key that the server then accepts', async () => {
      const env = await envFor(engine);
      const boot = await runServer(['bootstrap', '--email', 'you@example.com'], env);
      expect(boot.code).toBe(0);
      const key = /API key: (e2a_\S+)/.exec(boot.stdout)?.[1];
      expect(key).toBeDefined();
      const server = await startServer(env);
      try {
        // The database already has a user, so no admin key is printed.
        expect(server.output()).not.toContain('API key:');
        const info = await (await fetch(`${server.http}/v1/info`, { headers: { authorization: `Bearer ${key}` } })).json();
        expect(info.auth).toMatchObject({ email: 'you@example.com', scope: 'account' });
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      expect((await runServer(['bootstrap'], env)).code).toBe(2);
    });

    it('prints an admin key on first start and finishes an in-flight SMTP transaction on SIGTERM', async () => {
      const env = await envFor(engine);
      const server = await startServer(env);
      const key = /API key: (e2a_\S+)/.exec(server.output())?.[1];
      expect(key).toBeDefined();
      const created = await fetch(`${server.http}/v1/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ local_part: 'bot' }),
      });
      expect(created.status).toBe(201);
      const address = (await created.json()).address as string;

      const client = await SmtpTestClient.connect(server.smtpPort);
      await client.ehlo();
      expect((await client.command('MAIL FROM:<alice@example.com>')).code).toBe(250);
      expect((await client.command(`RCPT TO:<${address}>`)).code).toBe(250);
      // Mid-transaction: the server is told to stop, and must still take this message.
      server.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const reply = await client.data(Buffer.from(`From: alice@example.com\r\nTo: ${address}\r\nSubject: in flight\r\n\r\nstill here\r\n`));
      expect(reply.code).toBe(250);
      await client.quit();
      expect((await server.exited).code).toBe(0);

      const again = await startServer(env);
      try {
        const list = await (await fetch(`${again.http}/v1/agents/${address}/messages`, { headers: { authorization: `Bearer ${key}` } })).json();
        expect(list.items.map((m: { subject: string }) => m.subject)).toEqual(['in flight']);
      } finally {
        again.child.kill('SIGTERM');
        expect((await again.exited).code).toBe(0);
      }
    });
  });
});
