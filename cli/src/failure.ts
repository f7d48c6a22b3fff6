/** Turns any error into a message on stderr that says what to do, and an exit code from the table. */
import { AuthenticationError, CLOSE, ConnectionError, E2AError, ListenClosedError, NotFoundError, PermissionError, ValidationError } from '@e2a/sdk';
import { EXIT, type ExitCode } from './exit-codes.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export function describeFailure(err: unknown): { message: string; code: ExitCode } {
  if (err instanceof CliError) return { message: err.message, code: err.exitCode };
  if (err instanceof AuthenticationError) {
    return { message: `${err.message}\nRun \`e2a login\` with a valid key, or set E2A_API_KEY.`, code: EXIT.auth };
  }
  if (err instanceof PermissionError) return { message: `${err.message}\nThis needs an account-scoped key.`, code: EXIT.auth };
  if (err instanceof NotFoundError) return { message: err.message, code: EXIT.notFound };
  if (err instanceof ValidationError) return { message: err.message, code: EXIT.usage };
  if (err instanceof ConnectionError) {
    return { message: `${err.message}\nCheck the URL with \`e2a config get api_url\` (or E2A_API_URL).`, code: err.code === 'timeout' ? EXIT.timeout : EXIT.other };
  }
  // The stream's message already says what to do (new key, check the agent).
  if (err instanceof ListenClosedError) return { message: err.message, code: err.closeCode === CLOSE.notFound ? EXIT.notFound : EXIT.auth };
  if (err instanceof E2AError) return { message: err.message, code: EXIT.other };
  return { message: (err as Error)?.message ?? String(err), code: EXIT.other };
}
