/**
 * Taking a message in, whichever way it came: over SMTP once DATA is complete (pipeline.ts), or
 * handed over inside the gateway by one of its own agents (local delivery, no SMTP hop). One
 * sequence for both, so they cannot drift apart: the message limits (when given), the sender
 * verified on the bytes as received, our Authentication-Results and Received fields, sanitising,
 * parsing, and the hand-over to `accept`.
 */
import { createHash } from 'node:crypto';
import type { SenderVerifier } from '../auth/verify.js';
import type { Authentication } from '../auth/verdict.js';
import type { Clock } from '../clock.js';
import { toCrlf } from '../mime/line-endings.js';
import { checkMessageLimits, type LimitBreach, type MessageLimits } from '../mime/limits.js';
import type { MessageParser } from '../mime/message-parser.js';
import { parseMessage } from '../mime/parse.js';
import { sanitize } from '../mime/sanitize.js';
import type { InboundMessage, InboundObserver, Recipient } from '../ports.js';
import { localContext, localReceivedHeader, localVerdict } from './local-hop.js';
import { receivedHeader } from './received-header.js';
import type { NegotiatedTls } from './tls.js';

const NOTHING = Buffer.alloc(0);

/** A message received over SMTP: what the session said and saw. */
export interface SmtpEnvelope {
  via: 'smtp';
  /** smtp-server's session id plus the transaction number: our id in the Received line and logs. */
  id: string;
  mailFrom: string;
  recipients: Recipient[];
  remoteAddress: string;
  helo: string;
  /** ESMTP / ESMTPS / … for the Received line (RFC 3848). */
  protocol: string;
  /** What STARTTLS negotiated, when the session used it. */
  tls?: NegotiatedTls;
}

/**
 * A message one agent of this gateway sends another, handed over without SMTP: the gateway
 * authenticated the sender itself, so SPF is recorded as pass for its domain (local-hop.ts).
 */
export interface LocalEnvelope {
  via: 'local';
  /** Our id for this hop, in the Received line. */
  id: string;
  mailFrom: string;
  recipients: Recipient[];
}

export type ReceiveEnvelope = SmtpEnvelope | LocalEnvelope;

export interface ReceiveSteps<T> {
  /** Verifies SPF, DKIM, DMARC and ARC; for local mail, one whose resolver knows our own DKIM keys. */
  verifier: SenderVerifier;
  /** Our host name: the authserv-id of Authentication-Results and the host of the Received line. */
  hostname: string;
  clock: Clock;
  /** Hands the message on (stores it); resolves once it is durable. */
  accept: (message: InboundMessage) => Promise<T>;
  /**
   * Header and MIME limits, checked before anything expensive reads the message. Without them
   * (mail the gateway composed itself) every message is taken in and parsed on the event loop.
   */
  messageLimits?: MessageLimits;
  /** Parses on the event loop, or in a worker thread when the limits measured a large text. */
  parser?: MessageParser;
  /** Told each message's verdict (metrics). */
  observer?: Pick<InboundObserver, 'verdict'>;
}

/** Taken in: what `accept` answered, and the sender verdict stored with the message. */
export interface Received<T> {
  ok: true;
  accepted: T;
  authentication: Authentication;
}

/** Taken in, or refused over a message limit before anything read it. */
export type Receipt<T> = Received<T> | ({ ok: false } & LimitBreach);

/** With message limits: a message over one is refused (the SMTP path answers with its reply). */
export function receive<T>(raw: Buffer, envelope: ReceiveEnvelope, steps: ReceiveSteps<T> & { messageLimits: MessageLimits }): Promise<Receipt<T>>;
/** Without limits: every message reaches `accept`; anything that fails throws. */
export function receive<T>(raw: Buffer, envelope: ReceiveEnvelope, steps: ReceiveSteps<T> & { messageLimits?: undefined }): Promise<Received<T>>;
export async function receive<T>(raw: Buffer, envelope: ReceiveEnvelope, steps: ReceiveSteps<T>): Promise<Receipt<T>> {
  const { verifier, hostname, clock } = steps;
  // mailauth's header parser is quadratic in folded lines, so the limits come before it; on the
  // lines as they will be read (a CR-only message is otherwise one enormous header line).
  let crlf = toCrlf(raw);
  let textBytes = 0;
  if (steps.messageLimits) {
    const limits = await checkMessageLimits(crlf, steps.messageLimits);
    if (!limits.ok) return limits;
    textBytes = limits.shape.textBytes;
  }
  const receivedAt = clock.now();
  const contentHash = createHash('sha256').update(raw).digest('hex');
  const local = envelope.via === 'local';
  const client = local ? localContext(hostname, envelope.mailFrom) : { ip: envelope.remoteAddress, helo: envelope.helo, mailFrom: envelope.mailFrom };
  // DKIM signs the bytes the author sent, so verification runs before we touch anything.
  const checked = await verifier.verify(raw, client);
  const { authentication, authResultsHeader } = local ? localVerdict(checked.authentication, hostname, envelope.mailFrom) : checked;
  steps.observer?.verdict(authentication);
  const received = local
    ? localReceivedHeader(hostname, envelope.id, receivedAt)
    : receivedHeader({
        helo: envelope.helo,
        remoteAddress: envelope.remoteAddress,
        hostname,
        protocol: envelope.protocol,
        tls: envelope.tls,
        id: envelope.id,
        recipients: envelope.recipients.map((r) => r.address),
        date: receivedAt,
      });
  // RFC 8601 §5: Authentication-Results goes above the other trace fields, ours included. Sender
  // supplied X-E2A-* fields are stripped whichever way the message came.
  const stored = sanitize(crlf, { authservId: hostname, prepend: [authResultsHeader, received] });
  // From here only the sanitised copy is needed. V8 keeps an async function's variables, parameters
  // included, alive across its awaits: without this the bytes as received (a second copy of a
  // 25 MiB message) stayed reachable until the sink had stored it (docs/PERFORMANCE.md).
  raw = crlf = NOTHING;
  const parsed = steps.parser ? await steps.parser.parse(stored, textBytes) : await parseMessage(stored);
  const accepted = await steps.accept({
    raw: stored,
    contentHash,
    messageId: parsed.messageId,
    envelope: { mailFrom: envelope.mailFrom, recipients: envelope.recipients, remoteAddress: client.ip, helo: client.helo },
    authentication,
    parsed,
    receivedAt,
  });
  return { ok: true, accepted, authentication };
}
