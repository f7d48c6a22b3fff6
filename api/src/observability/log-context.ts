/**
 * What every log line written while serving one HTTP request or one SMTP transaction carries: its
 * request id (and the account, once authenticated) or its transaction id. Held in an
 * AsyncLocalStorage, so code deep inside a request logs with its plain logger and still says which
 * request it served; `withLogContext` puts it on every line of a logger and its children.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

export interface LogContext {
  request_id?: string;
  account_id?: string;
  /** An SMTP transaction: `<session>.<n>`, as in the Received line. */
  tx?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `context` on every line logged inside it (the object may be added to later). */
export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the request or transaction being served, if any (mutable: auth adds the account). */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

/** A child of `logger` whose lines (and its children's) carry the current context. */
export function withLogContext(logger: Logger): Logger {
  return logger.child(
    {},
    {
      formatters: {
        log: (object: object) => {
          const context = storage.getStore();
          return context ? { ...context, ...object } : object;
        },
      },
    },
  );
}
