import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../testing/databases.js';
import { runServer, startServer, type RunningServer } from '../testing/server-process.js';
import { until } from '../testing/until.js';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

let probes = 0;

/**
 * One SMTP session on the shared port, asking for a recipient nobody has: the process that took the
 * connection logs the refusal with the address (unique per probe) and its pid.
 */
async function answeringPid(server: RunningServer): Promise<number> {
  const rcpt = `probe-${++probes}@agents.localhost`;
  const client = await SmtpTestClient.connect(server.smtpPort);
  try {
    expect(client.greeting.code).toBe(220);
    await client.ehlo();
    expect((await client.command('MAIL FROM:<probe@example.com>')).code).toBe(250);
    expect((await client.command(`RCPT TO:<${rcpt}>`)).code).toBe(550);
  } finally {
    await client.quit();
  }
  const line = await server.waitFor(new RegExp(`"rcpt":"${rcpt}".*"recipient refused"`));
  return (JSON.parse(line) as { pid: number }).pid;
}

/** Probes until every pid in `wanted` has answered (the kernel picks a process per connection). */
async function probeUntilAnswered(server: RunningServer, wanted: number[]): Promise<void> {
  const seen = new Set<number>();
  // A backstop, not a tuning knob: with two processes 64 connections all landing on one has odds of 2^-63.
  for (let i = 0; i < 64 && !wanted.every((pid) => seen.has(pid)); i++) seen.add(await answeringPid(server));
  expect([...seen].sort()).toEqual([...wanted].sort());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('e2a-server serve --processes', () => {
  it('refuses more than one process on the embedded database, naming the key and the fix', async () => {
    const result = await runServer(['serve', '--processes', '2'], { E2A_DATA_DIR: mkdtempSync(join(tmpdir(), 'e2a-processes-')) });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')[0]).toContain('processes (env E2A_PROCESSES): 2 processes need PostgreSQL (database.url, env E2A_DATABASE_URL)');
  });

  describe.skipIf(!TEST_DATABASE_URL)('on PostgreSQL', () => {
    async function databaseEnv(): Promise<Record<string, string>> {
      const created = await createPostgresDatabase();
      cleanups.push(created.drop);
      return {
        E2A_ENV: 'test',
        E2A_DATABASE_URL: created.url,
        E2A_DATA_DIR: mkdtempSync(join(tmpdir(), 'e2a-processes-')),
        // Probes are refused recipients: answered at once, and not counted as harvesting.
        E2A_SMTP_LIMITS_REFUSED_RECIPIENT_DELAY_MS: '0',
        E2A_SMTP_LIMITS_REFUSED_RECIPIENTS_PER_CLIENT_PER_HOUR: '0',
      };
    }

    it('two processes answer on one SMTP port; a killed one is started again and the port keeps answering; SIGTERM stops all', async () => {
      const server = await startServer(await databaseEnv(), 60_000, { args: ['--processes', '2'] });
      try {
        const ready = JSON.parse(await server.waitFor('"e2a processes listening"')) as { pid: number; processes: number[] };
        expect(ready.processes).toHaveLength(2);
        expect(ready.processes).not.toContain(server.child.pid);
        await probeUntilAnswered(server, ready.processes);
        // Both serve the HTTP port too.
        expect((await fetch(`${server.http}/livez`)).status).toBe(200);

        const [victim, survivor] = ready.processes as [number, number];
        process.kill(victim, 'SIGKILL');
        await server.waitFor(new RegExp(`"pid":${victim}.*"gateway process ended; starting it again"`));
        // Until it is back, the other process takes every connection.
        expect(await answeringPid(server)).toBe(survivor);
        const restarted = JSON.parse(await server.waitFor('"gateway process restarted"')) as { pid: number };
        expect(restarted.pid).not.toBe(victim);
        await probeUntilAnswered(server, [survivor, restarted.pid]);

        server.child.kill('SIGTERM');
        expect(await server.exited).toEqual({ code: 0, signal: null });
        expect([survivor, restarted.pid].filter(alive)).toEqual([]);
      } finally {
        server.child.kill('SIGKILL');
      }
    });

    it('gateway processes whose supervisor is killed stop by themselves', async () => {
      const server = await startServer(await databaseEnv(), 60_000, { args: ['--processes', '2'] });
      try {
        const ready = JSON.parse(await server.waitFor('"e2a processes listening"')) as { processes: number[] };
        server.child.kill('SIGKILL');
        // Each sees its IPC channel close and stops gracefully.
        for (const pid of ready.processes) await server.waitFor(new RegExp(`"pid":${pid}.*"shutting down: the supervising process has ended"`));
        await until('every gateway process to have exited', () => ready.processes.every((pid) => !alive(pid)));
      } finally {
        server.child.kill('SIGKILL');
      }
    });

    it('a first process that cannot start ends the supervisor with its status instead of restarting it', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as { port: number }).port;
      try {
        const result = await runServer(['serve', '--processes', '2'], { ...(await databaseEnv()), E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0', E2A_SMTP_LISTEN_ADDR: `127.0.0.1:${port}` });
        expect(result.code).toBe(1);
        expect(result.stdout).toContain('the first gateway process ended before it listened; not restarting');
        expect(result.stdout + result.stderr).toContain('EADDRINUSE');
      } finally {
        taken.close();
      }
    });
  });
});
