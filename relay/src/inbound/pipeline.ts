/**
 * What happens to a message once DATA is complete: verify the sender on the bytes as received,
 * sanitise, parse, hand to the sink. The answer is an SMTP reply value and this never throws:
 * RFC 5321 §4.2.5 / STYLE §7, anything unexpected is 451 so the sender keeps the message and retries.
 */
import { createHash } from 'node:crypto';
import type { SenderVerifier } from '../auth/verify.js';
import type { Clock } from '../clock.js';
import { parseMessage } from '../mime/parse.js';
import { sanitize } from '../mime/sanitize.js';
import type { InboundSink, Logger, Recipient } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, accepted } from '../smtp-reply.js';
import { receivedHeader } from './received-header.js';

export interface TransactionInfo {
  /** smtp-server's session id plus the transaction number: our id in the Received line and logs. */
  id: string;
  mailFrom: string;
  recipients: Recipient[];
  remoteAddress: string;
  helo: string;
  /** ESMTP / ESMTPS / … for the Received line (RFC 3848). */
  protocol: string;
}

export interface InboundPipelineOptions {
  verifier: SenderVerifier;
  sink: InboundSink;
  hostname: string;
  logger: Logger;
  clock: Clock;
}

export type InboundPipeline = (original: Buffer, tx: TransactionInfo) => Promise<SmtpReply>;

export function createInboundPipeline(options: InboundPipelineOptions): InboundPipeline {
  const { verifier, sink, hostname, logger, clock } = options;

  return async (original, tx) => {
    try {
      const receivedAt = clock.now();
      const contentHash = createHash('sha256').update(original).digest('hex');
      // DKIM signs the bytes the author sent, so verification runs before we touch anything.
      const { authentication, authResultsHeader } = await verifier.verify(original, {
        ip: tx.remoteAddress,
        helo: tx.helo,
        mailFrom: tx.mailFrom,
      });
      const received = receivedHeader({
        helo: tx.helo,
        remoteAddress: tx.remoteAddress,
        hostname,
        protocol: tx.protocol,
        id: tx.id,
        recipients: tx.recipients.map((r) => r.address),
        date: receivedAt,
      });
      // RFC 8601 §5: Authentication-Results goes above the other trace fields, ours included.
      const raw = sanitize(original, { authservId: hostname, prepend: [authResultsHeader, received] });
      const parsed = await parseMessage(raw);
      const { queueId } = await sink.accept({
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
      logger.info(
        { tx: tx.id, queueId, recipients: tx.recipients.length, bytes: original.length, verified: authentication.verified },
        'inbound message accepted',
      );
      return accepted(queueId);
    } catch (err) {
      logger.error({ err, tx: tx.id }, 'inbound message not stored, asking the sender to retry');
      return REPLY.tryAgainLater;
    }
  };
}
