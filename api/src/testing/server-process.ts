/**
 * Runs `e2a-server` as a child process, the way an operator does, and reads what it prints: the
 * compiled server (api/dist/main.js), checked current against its sources (testing/compiled.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watchOutput } from '../../../testing/child-output.js';
import { compiled, REPO_ROOT } from '../../../testing/compiled.js';

export { REPO_ROOT };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. */
export function runServer(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnServer(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`e2a-server ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface SpawnOptions {
  /** Open-file limit for the process (`ulimit -n`), to provoke descriptor exhaustion. */
  fdLimit?: number;
  /** startServer only: arguments after `serve` (e.g. --admin-email). */
  args?: string[];
}

export function spawnServer(args: string[], env: Record<string, string>, options: SpawnOptions = {}): ChildProcess {
  const argv = [process.execPath, compiled('api/dist/main.js'), ...args];
  const [command, ...rest] = options.fdLimit ? ['sh', '-c', `ulimit -n ${options.fdLimit} && exec "$@"`, 'sh', ...argv] : argv;
  return spawn(command!, rest, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', E2A_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface RunningServer {
  child: ChildProcess;
  http: string;
  smtpPort: number;
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the first line of output containing `pattern` (bounded; fails if the server exits first). */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `serve` and waits for its "e2a listening" log line. `timeoutMs` is a backstop for a start
 * that hangs, not a tuning knob: a start takes a second or two, and a few more on a busy machine.
 */
export async function startServer(env: Record<string, string>, timeoutMs = 60_000, options: SpawnOptions = {}): Promise<RunningServer> {
  const child = spawnServer(['serve', ...(options.args ?? [])], { E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0', E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0', ...env }, options);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const output = watchOutput(child, 'e2a-server serve');
  let line: string;
  try {
    line = await output.waitFor('"e2a listening"', timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const parsed = JSON.parse(line) as { http: string; smtp: string };
  return { child, http: parsed.http, smtpPort: Number(parsed.smtp.split(':').pop()), output: output.text, waitFor: output.waitFor, exited };
}
