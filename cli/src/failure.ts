/** Turns any error into a message on stderr that says what to do, and an exit code from the table. */
import { CommanderError, type OutputConfiguration } from 'commander';
import { EXIT, type ExitCode } from './exit-codes.js';
import { loadedSdk } from './sdk.js';

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
  const sdk = loadedSdk();
  if (!sdk) return { message: (err as Error)?.message ?? String(err), code: EXIT.other };
  const { AuthenticationError, CLOSE, ConnectionError, E2AError, ListenClosedError, NotE2AServerError, NotFoundError, PermissionError, ValidationError } = sdk;
  if (err instanceof AuthenticationError) {
    return { message: `${err.message}\nRun \`e2a login\` with a valid key, or set E2A_API_KEY.`, code: EXIT.auth };
  }
  if (err instanceof PermissionError) return { message: `${err.message}\nThis needs an account-scoped key.`, code: EXIT.auth };
  if (err instanceof NotFoundError) return { message: err.message, code: EXIT.notFound };
  if (err instanceof ValidationError) return { message: err.message, code: EXIT.usage };
  if (err instanceof NotE2AServerError) return { message: `${err.message.replace(/; check the URL.*$/, '')}\nCheck the URL with \`e2a config get api_url\` (or E2A_API_URL); it should be the gateway's HTTP address, e.g. http://127.0.0.1:8080.`, code: EXIT.other };
  if (err instanceof ConnectionError) {
    return { message: `${err.message}\nCheck the URL with \`e2a config get api_url\` (or E2A_API_URL).`, code: err.code === 'timeout' ? EXIT.timeout : EXIT.other };
  }
  // The stream's message already says what to do (new key, check the agent).
  if (err instanceof ListenClosedError) return { message: err.message, code: err.closeCode === CLOSE.notFound ? EXIT.notFound : EXIT.auth };
  if (err instanceof E2AError) return { message: err.message, code: EXIT.other };
  return { message: (err as Error)?.message ?? String(err), code: EXIT.other };
}

/** Whether the command line asks for --json (before any `--`), known before commander parses it. */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** With --json commander prints nothing itself: run() reports its errors as JSON (reportFailure). */
export function commanderOutput(json: boolean): OutputConfiguration {
  return json ? { writeErr: () => {}, outputError: () => {} } : {};
}

/**
 * Writes the failure to stderr (a line of text, or with --json one JSON object
 * {"error": {"message", "exit_code", "code"?, "request_id"?}}) and returns the exit code.
 */
export function reportFailure(err: unknown, json: boolean): ExitCode {
  let message: string;
  let code: ExitCode;
  if (err instanceof CommanderError) {
    // --help and --version end here with code 0; bad flags with 1, which we call usage.
    if (err.exitCode === 0) return EXIT.ok;
    code = EXIT.usage;
    message = err.code === 'commander.help' || err.code === 'commander.helpDisplayed' ? 'a subcommand is missing; see `e2a <command> --help`' : err.message.replace(/^error: /, '');
    // Without --json commander has printed it already, with the help.
    if (!json) return code;
  } else {
    ({ message, code } = describeFailure(err));
  }
  // An empty message means the command already printed its outcome (e.g. held for review).
  if (!message) return code;
  message = message.replace(/^e2a: /, '');
  if (json) {
    const E2AError = loadedSdk()?.E2AError;
    const api = E2AError && err instanceof E2AError ? { code: err.code, ...(err.requestId ? { request_id: err.requestId } : {}) } : {};
    process.stderr.write(`${JSON.stringify({ error: { message, exit_code: code, ...api } })}\n`);
  } else {
    process.stderr.write(`e2a: ${message}\n`);
  }
  return code;
}
