/** CLI exit codes: one frozen table, documented in `e2a --help`. */
export const EXIT = Object.freeze({
  ok: 0,
  other: 1,
  usage: 2,
  heldForReview: 3,
  auth: 4,
  /** Not found, or a permanent failure (e.g. the mail was rejected for good). */
  notFound: 5,
  timeout: 6,
} as const);

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_HELP = `Exit codes:
  0  ok
  1  other error
  2  usage: bad flags or arguments
  3  held for review (the message waits for a human)
  4  auth: missing, unknown or revoked API key, or not allowed
  5  not found, or failed permanently
  6  timed out`;
