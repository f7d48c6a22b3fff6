/**
 * `npm start` as a supervisor runs it: npm is the process the supervisor knows and signals, the
 * gateway its child. npm passes SIGINT and SIGTERM on to the script it runs and nothing else; the
 * script `exec`s node, so no shell sits in between to die of the signal instead of the gateway, and
 * the gateway stops by itself when npm ends of a signal it does not pass on (SIGHUP, SIGKILL).
 * Each case starts `npm start` as the leader of a new process group, signals npm's pid only, and
 * waits until no process of the group is left and the gateway's ports refuse connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuildCurrent, REPO_ROOT } from '../../testing/compiled.js';
import { until } from './testing/until.js';

interface NpmStart {
  npm: ChildProcess;
  output(): string;
  /** The gateway's own pid, HTTP URL and SMTP port, from its "e2a listening" line. */
  gateway: { pid: number; http: string; smtpPort: number };
  npmExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Pids of the processes whose process group is `pgid` (Linux /proc). */
function processGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command name: state ppid pgrp …
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // Exited while being read.
    }
  }
  return members;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function npmStart(): Promise<NpmStart> {
  assertBuildCurrent();
  const dataDir = mkdtempSync(join(tmpdir(), 'e2a-npm-start-'));
  const npm = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    // A new process group with npm as its leader, as a supervisor starts a service.
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      E2A_DATA_DIR: dataDir,
      E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0',
      E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0',
      E2A_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    // Whatever a failed case left behind: the whole group, then the data.
    for (const pid of processGroup(npm.pid!)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const npmExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.on('exit', (code, signal) => resolve({ code, signal })));
  let exited = false;
  void npmExited.then(() => (exited = true));
  // Bounded as a backstop only: the line comes in a few seconds even on a busy machine.
  const line = await until(
    'the gateway under npm start to print "e2a listening"',
    () => {
      if (exited) throw new Error(`npm start exited before the gateway listened:\n${out}`);
      return out.split('\n').find((l) => l.includes('"e2a listening"'));
    },
    90_000,
  );
  const listening = JSON.parse(line) as { pid?: number; http: string; smtp: string };
  const [gatewayPid] = processGroup(npm.pid!).filter((pid) => pid !== npm.pid);
  expect(gatewayPid, `a gateway process in npm's group:\n${out}`).toBeDefined();
  return { npm, output: () => out, gateway: { pid: gatewayPid!, http: listening.http, smtpPort: Number(listening.smtp.split(':').pop()) }, npmExited };
}

async function expectNothingLeft(started: NpmStart): Promise<void> {
  await until(`every process of npm start's group (npm ${started.npm.pid}, gateway ${started.gateway.pid}) to exit`, () => processGroup(started.npm.pid!).length === 0, 60_000);
  expect(await refusesConnections(Number(new URL(started.gateway.http).port))).toBe(true);
  expect(await refusesConnections(started.gateway.smtpPort)).toBe(true);
}

describe('npm start under a supervisor', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s to npm stops the gateway gracefully, and npm exits with it', async (signal) => {
    const started = await npmStart();
    // The gateway is npm's own child: no shell between them to take the signal instead.
    expect(readFileSync(`/proc/${started.gateway.pid}/stat`, 'utf8')).toMatch(new RegExp(`\\) \\S ${started.npm.pid} `));
    process.kill(started.npm.pid!, signal);
    await expectNothingLeft(started);
    expect(started.output()).toContain(`"signal":"${signal}","msg":"shutting down`);
    expect(started.output()).toContain('"msg":"stopped"');
    expect(await started.npmExited).toEqual({ code: 0, signal: null });
  });

  it.each(['SIGHUP', 'SIGKILL'] as const)('%s ends npm, which does not pass it on; the gateway sees npm gone and stops', async (signal) => {
    const started = await npmStart();
    process.kill(started.npm.pid!, signal);
    expect((await started.npmExited).signal).toBe(signal);
    await expectNothingLeft(started);
    expect(started.output()).toContain('the process that started this gateway has ended');
    expect(started.output()).toContain('"msg":"stopped"');
  });
});
