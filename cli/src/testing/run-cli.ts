/**
 * Runs the real `e2a` binary as a child process, as a user's shell would: cli/bin/e2a.js, which runs
 * the compiled CLI, checked current against its sources (testing/compiled.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { compiled } from '../../../testing/compiled.js';

/** The command and arguments that start `e2a <args>` (for spawn or an MCP client's stdio transport). */
export function cliCommand(args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [compiled('cli/bin/e2a.js'), ...args] };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  const cli = cliCommand(args);
  return spawn(cli.command, cli.args, {
    env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin!.end(input ?? '');
  });
}

/** A CLI left running: its output so far, and waits on the lines it prints. */
export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in `stream` (bounded; fails showing the output). */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Every line of `stream` that matches `pattern`, so far. */
  lines(stream: 'stdout' | 'stderr', pattern: RegExp): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startCli(args: string[], env: Record<string, string>): RunningCli {
  const child = spawnCli(args, env);
  const out = { stdout: '', stderr: '' };
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of [...wakers]) w();
  };
  child.stdout!.on('data', (d) => {
    out.stdout += d;
    wake();
  });
  child.stderr!.on('data', (d) => {
    out.stderr += d;
    wake();
  });
  child.stdin!.end();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      wake();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    lines: (stream, pattern) => out[stream].split('\n').filter((line) => pattern.test(line)),
    async waitFor(stream, pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out[stream]);
        if (match) return match;
        const left = deadline - Date.now();
        if (done || left <= 0) {
          throw new Error(`${done ? 'the CLI exited' : `after ${timeoutMs} ms`} without printing ${pattern} on ${stream}\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(finish, left);
          function finish() {
            clearTimeout(timer);
            wakers.delete(finish);
            resolve();
          }
          wakers.add(finish);
        });
      }
    },
  };
}
