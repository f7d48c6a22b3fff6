/**
 * What a spawned process prints, and waits on it: a test that needs the process to have reached a
 * point (listening, shutting down) waits for the line that says so, never for a fixed time. Waits
 * are bounded, as a backstop, and fail at once, with the output, if the process ends first.
 */
import type { ChildProcess } from 'node:child_process';

export interface ChildOutput {
  /** stdout and stderr so far, interleaved as they arrived. */
  text(): string;
  /** Resolves with the first line containing `pattern` (a string, or a RegExp matched per line). */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
}

export function watchOutput(child: ChildProcess, name: string): ChildOutput {
  let text = '';
  let closed = false;
  const wakers = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...wakers]) w();
  };
  const append = (d: Buffer): void => {
    text += d.toString();
    wake();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // 'close' rather than 'exit': it comes after the last output has been read.
  child.once('close', () => {
    closed = true;
    wake();
  });
  const find = (pattern: string | RegExp): string | undefined =>
    text.split('\n').find((line) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line)));
  return {
    text: () => text,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = find(pattern);
        if (line !== undefined) return line;
        const left = deadline - Date.now();
        if (closed || left <= 0) {
          throw new Error(`${name} ${closed ? `exited (${child.exitCode ?? child.signalCode})` : `ran ${timeoutMs} ms`} without printing ${pattern}:\n${text}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(finish, left);
          function finish(): void {
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
