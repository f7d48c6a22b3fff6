/**
 * What happens to a message once DATA is complete: verify the sender on the bytes as received,
 * sanitise, parse, hand to the sink. The answer is an SMTP reply value and this never throws:
 * RFC 5321 §4.2.5 / STYLE §7, anything unexpected is 451 so the sender keeps the message and retries.
 */
import { createHash } from 'node:crypto';
import type { SenderVerifier } from '../auth/verify.js';
import type { Clock } from '../clock.js';
import { toCrlf } from '../mime/line-endings.js';
import { checkMessageLimits, type MessageLimits } from '../mime/limits.js';
import { ParseTimeoutError, type MessageParser } from '../mime/message-parser.js';
import { sanitize } from '../mime/sanitize.js';
import type { InboundObserver, InboundSink, Logger, Recipient } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, accepted } from '../smtp-reply.js';
import { receivedHeader } from './received-header.js';
import type { NegotiatedTls } from './tls.js';

export interface TransactionInfo {
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

export interface InboundPipelineOptions {
  verifier: SenderVerifier;
  sink: InboundSink;
  hostname: string;
  logger: Logger;
  clock: Clock;
  /** Header and MIME limits, checked before anything expensive reads the message. */
  messageLimits: MessageLimits;
  /** Parses on the event loop, or in a worker thread for a large message. */
  parser: MessageParser;
  /** Told each message's verdict (metrics). */
  observer?: Pick<InboundObserver, 'verdict'>;
}

export type InboundPipeline = (original: Buffer, tx: TransactionInfo) => Promise<SmtpReply>;

export function createInboundPipeline(options: InboundPipelineOptions): InboundPipeline {
  const { verifier, sink, hostname, logger, clock, messageLimits, parser } = options;

  return async (original, tx) => {
    try {
      // mailauth's header parser is quadratic in folded lines, so the limits come before it; on the
      // lines as they will be read (a CR-only message is otherwise one enormous header line).
      const crlf = toCrlf(original);
      const limits = await checkMessageLimits(crlf, messageLimits);
      if (!limits.ok) {
        logger.info({ tx: tx.id, limit: limits.limit, bytes: original.length }, 'message refused: over a message limit');
        return limits.reply;
      }
      const receivedAt = clock.now();
      const contentHash = createHash('sha256').update(original).digest('hex');
      // DKIM signs the bytes the author sent, so verification runs before we touch anything.
      const { authentication, authResultsHeader } = await verifier.verify(original, {
        ip: tx.remoteAddress,
        helo: tx.helo,
        mailFrom: tx.mailFrom,
      });
      options.observer?.verdict(authentication);
      const received = receivedHeader({
        helo: tx.helo,
        remoteAddress: tx.remoteAddress,
        hostname,
        protocol: tx.protocol,
        tls: tx.tls,
        id: tx.id,
        recipients: tx.recipients.map((r) => r.address),
        date: receivedAt,
      });
      // RFC 8601 §5: Authentication-Results goes above the other trace fields, ours included.
      const raw = sanitize(crlf, { authservId: hostname, prepend: [authResultsHeader, received] });
      const parsed = await parser.parse(raw, limits.shape.textBytes);
      const { queueId, refusal } = await sink.accept({
        raw,
        contentHash,
        messageId: parsed.messageId,
        envelope: {
          mailFrom: tx.mailFrom,
          recipients: tx.recipients,
          remoteAddress: tx.remoteAddress,
          helo: tx.helo,
        },
        authentication,
        parsed,
        receivedAt,
      });
      if (refusal) {
        logger.info({ tx: tx.id, queueId, reply: refusal.code, reason: refusal.text }, 'inbound message refused by policy');
        return refusal;
      }
      logger.info(
        { tx: tx.id, queueId, recipients: tx.recipients.length, bytes: original.length, verified: authentication.verified },
        'inbound message accepted',
      );
      return accepted(queueId);
    } catch (err) {
      if (err instanceof ParseTimeoutError) {
        // Load-dependent, so temporary: a retry on a quieter machine may well finish.
        logger.warn({ tx: tx.id, bytes: original.length }, 'inbound message took too long to parse, asking the sender to retry');
        return REPLY.tryAgainLater;
      }
      logger.error({ err, tx: tx.id }, 'inbound message not stored, asking the sender to retry');
      return REPLY.tryAgainLater;
    }
  };
}
