/**
 * Runs `e2a-server` as a child process, the way an operator does, and reads what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

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
}

export function spawnServer(args: string[], env: Record<string, string>, options: SpawnOptions = {}): ChildProcess {
  const argv = [process.execPath, '--import', 'tsx', MAIN, ...args];
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
  /** Resolves with the exit code. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `serve` and waits for its "e2a listening" log line. */
export function startServer(env: Record<string, string>, timeoutMs = 60_000, options: SpawnOptions = {}): Promise<RunningServer> {
  const child = spawnServer(['serve'], { E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0', E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0', ...env }, options);
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"e2a listening"')) continue;
        const parsed = JSON.parse(line) as { http: string; smtp: string };
        clearTimeout(timer);
        resolve({ child, http: parsed.http, smtpPort: Number(parsed.smtp.split(':').pop()), output: () => out, exited });
        return;
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}
