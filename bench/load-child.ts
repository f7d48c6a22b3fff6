/**
 * The benches' load children (smtp-load.ts, outbound-load.ts, delivery-load.ts): forked so that their
 * CPU and memory are not the gateway's, and spoken to one command, one answer at a time over the
 * IPC channel. Both sides are here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';

export interface LoadChild<C, E> {
  /** Sends a command and resolves with the child's next message; a dead child fails the wait. */
  ask(cmd: C): Promise<E>;
  /** The child's next message, for a command whose answer comes later (start waiting first). */
  wait(): Promise<E>;
  tell(cmd: C): void;
  /** Kills the child if it is still running. */
  kill(): void;
}

/** Forks `bench/<script>` under tsx, our workspaces resolved to their sources as in `npm run bench`. */
export function forkLoadChild<C extends object, E>(script: string): LoadChild<C, E> {
  const child = fork(join(import.meta.dirname, script), [], { execArgv: ['--conditions=e2a-source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return loadChildOf(child, basename(script, '.ts'));
}

/** The same conversation with a child started some other way (it must have an IPC channel). */
export function loadChildOf<C extends object, E>(child: ChildProcess, name: string): LoadChild<C, E> {
  const wait = (): Promise<E> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`${name} exited (code ${child.exitCode})`));
      const onExit = (code: number | null): void => reject(new Error(`${name} exited (code ${code})`));
      child.once('exit', onExit);
      child.once('message', (event: E) => {
        child.off('exit', onExit);
        resolve(event);
      });
    });
  return {
    ask(cmd) {
      const answer = wait();
      child.send(cmd);
      return answer;
    },
    wait,
    tell(cmd) {
      child.send(cmd);
    },
    kill() {
      if (child.exitCode === null) child.kill();
    },
  };
}

/** The child's side: handles each command from the parent; one that fails ends the child with its stack. */
export function onParentCommand<C>(name: string, handle: (cmd: C) => void | Promise<void>): void {
  process.on('message', (cmd: C) => {
    (async () => handle(cmd))().catch((err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    });
  });
}

