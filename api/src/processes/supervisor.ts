/**
 * `processes` > 1: this process starts N gateway processes (child_process.fork of the same entry) and
 * serves nothing itself. Each child binds the same SMTP, HTTP and metrics ports with SO_REUSEPORT,
 * so the kernel spreads new connections over them: no process accepts and hands sockets on (as
 * node:cluster's round-robin primary does), and a dead child's share goes to the others at once.
 * They share one PostgreSQL as replicas on separate machines do; nothing else is shared.
 *
 * - The first child starts alone: it migrates and creates the first account with nobody racing it,
 *   and a start that cannot work (a bad certificate, the port taken, no database) ends the supervisor
 *   with its status instead of looping. The others start once it listens, on the ports it got (a
 *   configured `:0` becomes its real port).
 * - A child that ends is started again after a backoff that doubles while it keeps dying early.
 * - SIGTERM and SIGINT go to every child (each stops gracefully; a second signal means "now").
 *   SIGHUP goes to every child when STARTTLS is configured (each reloads its certificate) and
 *   otherwise stops them gracefully. Children run in their own process group, so a terminal's
 *   Ctrl-C reaches this process only and each child hears it once.
 * - A child whose supervisor is gone (its IPC channel closes: SIGKILL included) stops by itself.
 *
 * Hand-written because the job is small and particular (a serialised first start, port hand-over);
 * process managers (pm2 and the like) bring a daemon and their own configuration.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { childEnvironment } from '../config.js';
import { watchParent } from '../parent-watch.js';

/** The hidden `serve` option that makes a process one of the supervised children (its slot). */
export const PROCESS_INDEX_OPTION = 'process-index';

/** A child that ran at least this long before ending is restarted after the shortest wait again. */
const STABLE_MS = 30_000;
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;

/** What a child tells its supervisor once it listens: the addresses to give the children after it. */
export interface ListeningReport {
  type: 'listening';
  /** host:port, as E2A_SMTP_LISTEN_ADDR takes it. */
  smtp: string;
  http: string;
  metrics: string | null;
}

/** The child's side: reports its listeners (no-op when it was not forked by a supervisor). */
export function reportListening(report: Omit<ListeningReport, 'type'>): void {
  process.send?.({ type: 'listening', ...report } satisfies ListeningReport, (err: Error | null) => void err);
}

/** The child's side: calls `onGone` when the supervisor's IPC channel closes. */
export function onSupervisorGone(onGone: () => void): void {
  if (process.channel) process.once('disconnect', onGone);
}

/** `host:port` for a listen address, brackets around an IPv6 host. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface SupervisorOptions {
  processes: number;
  /** The script each child runs (this process's entry) and its arguments; the slot option is added. */
  entry: string;
  args: string[];
  logger: Logger;
  /** SIGHUP reloads every child's STARTTLS certificate (true) or stops them (false). */
  forwardHangup: boolean;
  /** Also stop when the process that started this one ends (`--stop-with-parent`). */
  stopWithParent: boolean;
}

interface Slot {
  index: number;
  child: ChildProcess | null;
  /** When the current child reported listening; null before. */
  listeningAt: number | null;
  /** Early deaths in a row, for the backoff. */
  failures: number;
  restart: NodeJS.Timeout | null;
}

/** Runs the children until a stop signal; resolves with the exit status for the supervisor. */
export function supervise(options: SupervisorOptions): Promise<number> {
  const { logger } = options;
  const slots: Slot[] = Array.from({ length: options.processes }, (_, index) => ({ index, child: null, listeningAt: null, failures: 0, restart: null }));
  // The first child's real listen addresses, given to every later child (and to a restarted first one).
  let listenAddrs: Record<string, string> | null = null;
  let allListening = false;
  let stopping = false;

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
      stopWatchingParent();
      resolve(code);
    };

    const start = (slot: Slot) => {
      const child = fork(options.entry, [...options.args, `--${PROCESS_INDEX_OPTION}`, String(slot.index)], {
        env: childEnvironment(listenAddrs ?? {}),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        detached: true,
      });
      slot.child = child;
      slot.listeningAt = null;
      child.on('message', (message: unknown) => {
        if ((message as ListeningReport | null)?.type === 'listening') listening(slot, child, message as ListeningReport);
      });
      child.once('exit', (code, signal) => exited(slot, child, code, signal));
    };

    const listening = (slot: Slot, child: ChildProcess, report: ListeningReport) => {
      slot.listeningAt = Date.now();
      if (!listenAddrs) {
        listenAddrs = {
          E2A_SMTP_LISTEN_ADDR: report.smtp,
          E2A_HTTP_LISTEN_ADDR: report.http,
          ...(report.metrics ? { E2A_METRICS_LISTEN_ADDR: report.metrics } : {}),
        };
        for (const other of slots) if (other !== slot && !stopping) start(other);
      }
      if (!allListening && slots.every((s) => s.listeningAt !== null)) {
        allListening = true;
        logger.info({ processes: slots.map((s) => s.child?.pid) }, 'e2a processes listening');
      } else if (allListening) {
        logger.info({ process: slot.index, pid: child.pid }, 'gateway process restarted');
      }
    };

    const exited = (slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
      if (slot.child === child) slot.child = null;
      if (stopping) {
        if (slots.every((s) => s.child === null)) {
          logger.info('stopped');
          finish(0);
        }
        return;
      }
      if (!listenAddrs) {
        // The first start failed: its error is in its output, and the same start would fail again.
        logger.error({ process: slot.index, pid: child.pid, code, signal }, 'the first gateway process ended before it listened; not restarting');
        stopping = true;
        finish(code ?? 1);
        return;
      }
      const ranMs = slot.listeningAt === null ? 0 : Date.now() - slot.listeningAt;
      slot.failures = ranMs >= STABLE_MS ? 1 : slot.failures + 1;
      const wait = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** (slot.failures - 1));
      logger.error({ process: slot.index, pid: child.pid, code, signal, restart_in_ms: wait }, 'gateway process ended; starting it again');
      slot.restart = setTimeout(() => {
        slot.restart = null;
        if (!stopping) start(slot);
      }, wait);
    };

    const stop = (signal: NodeJS.Signals, why: string) => {
      if (!stopping) logger.info({ signal, processes: slots.flatMap((s) => (s.child ? [s.child.pid] : [])) }, why);
      stopping = true;
      for (const slot of slots) {
        if (slot.restart) clearTimeout(slot.restart);
        slot.restart = null;
        slot.child?.kill(signal);
      }
      if (slots.every((s) => s.child === null)) finish(0);
    };
    const onTerm = () => stop('SIGTERM', 'shutting down every gateway process');
    const onInt = () => stop('SIGINT', 'shutting down every gateway process');
    const onHup = () => {
      if (!options.forwardHangup) return stop('SIGTERM', 'SIGHUP: shutting down every gateway process');
      for (const slot of slots) slot.child?.kill('SIGHUP');
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
    const stopWatchingParent = options.stopWithParent ? watchParent(() => stop('SIGTERM', 'shutting down: the process that started this gateway has ended')) : () => {};

    logger.info({ processes: options.processes }, 'starting gateway processes');
    start(slots[0]!);
  });
}
