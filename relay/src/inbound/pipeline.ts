/**
 * What happens to a message once DATA is complete: the steps every message takes in (receive.ts:
 * limits, verification, trace fields, sanitising, parsing, the sink), answered as an SMTP reply
 * value. This never throws: RFC 5321 §4.2.5 / STYLE §7, anything unexpected is 451 so the sender
 * keeps the message and retries.
 */
import type { SenderVerifier } from '../auth/verify.js';
import type { Clock } from '../clock.js';
import type { MessageLimits } from '../mime/limits.js';
import { ParseTimeoutError, type MessageParser } from '../mime/message-parser.js';
import type { InboundMessage, InboundObserver, InboundSink, Logger } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, accepted } from '../smtp-reply.js';
import { receive, type Receipt, type SmtpEnvelope } from './receive.js';

/** One SMTP transaction as the session saw it. */
export type TransactionInfo = Omit<SmtpEnvelope, 'via'>;

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
  const { sink, logger } = options;
  const steps = {
    verifier: options.verifier,
    hostname: options.hostname,
    clock: options.clock,
    messageLimits: options.messageLimits,
    parser: options.parser,
    observer: options.observer,
    accept: (message: InboundMessage) => sink.accept(message),
  };

  // Not an async function itself: V8 keeps an async function's parameters alive across its awaits,
  // and the bytes as received must be receive()'s alone, so that it can let go of them once it has
  // its sanitised copy (docs/PERFORMANCE.md, "Memory for a large message").
  return (original, tx) => answer(receive(original, { via: 'smtp', ...tx }, steps), original.length, tx);

  async function answer(receiving: Promise<Receipt<{ queueId: string; refusal?: SmtpReply }>>, bytes: number, tx: TransactionInfo): Promise<SmtpReply> {
    try {
      const receipt = await receiving;
      if (!receipt.ok) {
        logger.info({ tx: tx.id, limit: receipt.limit, bytes }, 'message refused: over a message limit');
        return receipt.reply;
      }
      const { queueId, refusal } = receipt.accepted;
      if (refusal) {
        logger.info({ tx: tx.id, queueId, reply: refusal.code, reason: refusal.text }, 'inbound message refused by policy');
        return refusal;
      }
      logger.info(
        { tx: tx.id, queueId, recipients: tx.recipients.length, bytes, verified: receipt.authentication.verified },
        'inbound message accepted',
      );
      return accepted(queueId);
    } catch (err) {
      if (err instanceof ParseTimeoutError) {
        // Load-dependent, so temporary: a retry on a quieter machine may well finish.
        logger.warn({ tx: tx.id, bytes }, 'inbound message took too long to parse, asking the sender to retry');
        return REPLY.tryAgainLater;
      }
      logger.error({ err, tx: tx.id }, 'inbound message not stored, asking the sender to retry');
      return REPLY.tryAgainLater;
    }
  }
}
