/**
 * SMTP replies are values (RFC 5321 §4.2, enhanced codes RFC 3463). The inbound edge returns one of
 * these; nothing else in the relay invents reply text.
 */
export interface SmtpReply {
  code: number;
  enhanced: string;
  text: string;
}

export const REPLY = {
  /** RFC 5321 §4.2.5: a 4xx makes the sender keep the message and retry. */
  tryAgainLater: { code: 451, enhanced: '4.3.0', text: 'temporary failure, try again later' },
  unknownMailbox: { code: 550, enhanced: '5.1.1', text: 'no such mailbox here' },
  relayDenied: { code: 550, enhanced: '5.7.1', text: 'relaying denied' },
  badAddressSyntax: { code: 553, enhanced: '5.1.3', text: 'address syntax not accepted here' },
  messageTooBig: { code: 552, enhanced: '5.3.4', text: 'message exceeds the maximum size' },
  tooManyRecipients: { code: 452, enhanced: '4.5.3', text: 'too many recipients' },
  authNotOffered: { code: 503, enhanced: '5.5.1', text: 'authentication is not offered on this port' },
  /** RFC 5321 §3.8: a server going down answers 421; RFC 3463 4.3.2 "system not accepting messages". */
  shuttingDown: { code: 421, enhanced: '4.3.2', text: 'service shutting down, try again later' },
  /** Every session slot of this process is taken (RFC 3463 4.3.2): the client retries later. */
  tooManyConnections: { code: 421, enhanced: '4.3.2', text: 'too many connections, try again later' },
  /** The client's network already holds its share of sessions (RFC 3463 4.7.0, a policy refusal). */
  tooManyClientConnections: { code: 421, enhanced: '4.7.0', text: 'too many connections from your network, try again later' },
  /** RFC 3463 4.4.2 "bad connection": the session outlived its time limit; a new one may continue. */
  sessionTooLong: { code: 421, enhanced: '4.4.2', text: 'session time limit reached, reconnect to continue' },
  /** RFC 3463 4.4.2: the client sends too slowly to ever finish (slowloris). */
  tooSlow: { code: 421, enhanced: '4.4.2', text: 'connection too slow, closing' },
  /** Too many unknown or refused recipients: address harvesting (RFC 3463 4.7.0). */
  tooManyRefusedRecipients: { code: 421, enhanced: '4.7.0', text: 'too many refused recipients, closing' },
  /**
   * The mailbox receives from this sender faster than its budget allows. RFC 3463 4.2.1 "mailbox
   * disabled, not accepting messages" as a temporary state: the answer large receivers give too.
   */
  mailboxReceivingTooFast: { code: 450, enhanced: '4.2.1', text: 'this mailbox is receiving mail from you too fast, try again later' },
} as const satisfies Record<string, SmtpReply>;

/** The client's network sent more than its budget (RFC 3463 4.7.0); says when to come back. */
export function clientRateLimited(retryAfterSeconds: number): SmtpReply {
  return { code: 421, enhanced: '4.7.0', text: `too much mail from your network, try again in ${Math.max(1, Math.ceil(retryAfterSeconds))} seconds` };
}

/**
 * A header section over a limit (relay/src/mime/limits.ts). RFC 3463 5.3.4 "message too big for
 * system", the code Gmail and Exchange Online give for oversized headers; the text names the limit.
 */
export function headerTooBig(what: string): SmtpReply {
  return { code: 552, enhanced: '5.3.4', text: `message header ${what}, the limit here` };
}

/** A MIME structure over a limit. RFC 3463 5.6.0 "other or undefined media error", as Postfix's mime_nesting_limit. */
export function mimeTooComplex(what: string): SmtpReply {
  return { code: 554, enhanced: '5.6.0', text: `message ${what}, the limit here` };
}

export function accepted(queueId: string): SmtpReply {
  return { code: 250, enhanced: '2.0.0', text: `ok queued as ${queueId}` };
}

/** The text after the code, as smtp-server prints it: `2.0.0 ok queued as …`. */
export function replyText(reply: SmtpReply): string {
  return `${reply.enhanced} ${reply.text}`;
}

/** The `Error` smtp-server turns into a reply line: it reads `responseCode` and prints the message. */
export function toSmtpError(reply: SmtpReply): Error & { responseCode: number } {
  const err = new Error(replyText(reply)) as Error & { responseCode: number };
  err.responseCode = reply.code;
  return err;
}
