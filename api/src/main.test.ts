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

    it('first start with --admin-email: the account lives there, and the banner says where review and postmaster mail go', async () => {
      const env = { ...(await envFor(engine)), E2A_POSTMASTER_ADDRESS: 'abuse-desk@example.org' };
      const server = await startServer(env, 60_000, { args: ['--admin-email', 'Ops@Example.com'] });
      try {
        const out = server.output();
        expect(out).toContain('An admin account was created: ops@example.com');
        expect(out).toContain('Review mail for this account goes to: ops@example.com');
        expect(out).toContain('postmaster@ and abuse@ mail goes to: abuse-desk@example.org (postmaster_address)');
        expect(out).not.toContain('WARNING');
        const key = /API key: (e2a_\S+)/.exec(out)![1]!;
        const info = await (await fetch(`${server.http}/v1/info`, { headers: { authorization: `Bearer ${key}` } })).json();
        expect(info.auth).toMatchObject({ email: 'ops@example.com', scope: 'account' });
        // The banner's one-time dashboard link signs a browser in.
        const link = /Dashboard: (\S+)/.exec(out)![1]!;
        const signIn = await fetch(`${server.http}${new URL(link).pathname}`, { redirect: 'manual' });
        expect(signIn.status).toBe(303);
        const cookie = signIn.headers.getSetCookie().map((c) => c.slice(0, c.indexOf(';'))).join('; ');
        expect((await fetch(`${server.http}/v1/agents`, { headers: { cookie } })).status).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });

    it('first start without an admin email in development: the banner says review and postmaster mail reach nobody and how to fix it; a start with it moves the account', async () => {
      const env = await envFor(engine);
      const first = await startServer(env);
      let key: string;
      try {
        const out = first.output();
        expect(out).toContain('An admin account was created: admin@agents.localhost');
        expect(out).toContain('Review mail for this account goes to: admin@agents.localhost');
        expect(out).toContain('postmaster@ and abuse@ mail goes to: admin@agents.localhost (set postmaster_address to change it)');
        expect(out).toContain('WARNING: admin@agents.localhost is not a real mailbox: review mail and postmaster@/abuse@ mail sent there reach nobody.');
        expect(out).toContain('Fix: restart with --admin-email you@example.com (or E2A_ADMIN_EMAIL)');
        key = /API key: (e2a_\S+)/.exec(out)![1]!;
        // Nobody can take the address review mail would go to.
        const taken = await fetch(`${first.http}/v1/agents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ local_part: 'admin' }),
        });
        expect(taken.status).toBe(409);
      } finally {
        first.child.kill('SIGTERM');
        await first.exited;
      }
      const second = await startServer({ ...env, E2A_ADMIN_EMAIL: 'ops@example.com' });
      try {
        expect(second.output()).toContain('The admin account admin@agents.localhost now has the address ops@example.com.');
        expect(second.output()).toContain('Review mail for this account goes to: ops@example.com');
        const info = await (await fetch(`${second.http}/v1/info`, { headers: { authorization: `Bearer ${key}` } })).json();
        expect(info.auth).toMatchObject({ email: 'ops@example.com' });
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    });

    it('production refuses to create the first account without admin_email: exit 2, one line naming the key', async () => {
      const env = {
        ...(await envFor(engine)),
        E2A_ENV: 'production',
        E2A_SIGNING_HMAC_SECRET: 'main-test-hmac-secret-0123456789abcdef',
        E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
        E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0',
        E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0',
      };
      const result = await runServer(['serve'], env);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain("config: admin_email (env E2A_ADMIN_EMAIL): production needs the first account's email");
      expect(result.stdout).not.toContain('API key:');
      // With it, the same database starts and the account is created.
      const server = await startServer({ ...env, E2A_LOG_LEVEL: 'info' }, 60_000, { args: ['--admin-email', 'ops@example.com'] });
      try {
        expect(server.output()).toContain('An admin account was created: ops@example.com');
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
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
      // Mid-transaction: the server is told to stop, has begun to (it says so), and must still take this message.
      server.child.kill('SIGTERM');
      await server.waitFor('"msg":"shutting down');
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
