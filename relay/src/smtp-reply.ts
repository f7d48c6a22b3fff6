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
} as const satisfies Record<string, SmtpReply>;

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
