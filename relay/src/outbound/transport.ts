/**
 * The outbound transport port: hand the signed bytes to the next hop and say, per recipient,
 * whether it was accepted, must be retried, or was refused for good. Results are values (STYLE §8);
 * a transport never throws for an SMTP or network failure.
 */
export type RecipientStatus = 'sent' | 'deferred' | 'failed';

export interface RecipientOutcome {
  address: string;
  status: RecipientStatus;
  /** The server's reply, or what went wrong before there was one. */
  response: string | null;
}

export interface OutboundEnvelope {
  /** MAIL FROM (RFC 5321 §4.1.1.2); the agent's address, so bounces come back to it. */
  from: string;
  to: string[];
}

export interface OutboundTransport {
  send(envelope: OutboundEnvelope, raw: Buffer): Promise<RecipientOutcome[]>;
  close(): Promise<void>;
}

interface SmtpErrorLike {
  message?: string;
  code?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
  recipient?: string;
  rejected?: string[];
  rejectedErrors?: SmtpErrorLike[];
}

/**
 * RFC 5321 §4.2.1: 5yz is a permanent failure, 4yz transient. 503 (bad sequence) is a session
 * problem, not a verdict on the message. Anything without a reply (refused connection, timeout, TLS,
 * credentials) is ours or the network's to fix, so it is retried rather than failed.
 */
export function isPermanent(err: SmtpErrorLike): boolean {
  if (typeof err.permanent === 'boolean') return err.permanent && err.code !== 'EAUTH';
  const code = err.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600 && code !== 503 && err.code !== 'EAUTH';
}

export function describeError(err: SmtpErrorLike): string {
  const text = (err.response ?? err.message ?? 'unknown error').replace(/\s+/g, ' ').trim();
  return (err.code && !err.response ? `${err.code}: ${text}` : text).slice(0, 500);
}

/** Maps a nodemailer result or error onto one outcome per recipient. */
export function outcomesFrom(recipients: string[], result: { info?: { accepted?: unknown[]; rejectedErrors?: SmtpErrorLike[]; response?: string }; error?: SmtpErrorLike }): RecipientOutcome[] {
  const perRecipient = new Map<string, SmtpErrorLike>();
  const errors = result.error?.rejectedErrors ?? result.info?.rejectedErrors ?? [];
  for (const e of errors) if (e.recipient) perRecipient.set(e.recipient.toLowerCase(), e);
  return recipients.map((address) => {
    const own = perRecipient.get(address.toLowerCase());
    if (own) return { address, status: isPermanent(own) ? 'failed' : 'deferred', response: describeError(own) };
    if (result.error) return { address, status: isPermanent(result.error) ? 'failed' : 'deferred', response: describeError(result.error) };
    return { address, status: 'sent', response: result.info?.response?.slice(0, 500) ?? null };
  });
}
