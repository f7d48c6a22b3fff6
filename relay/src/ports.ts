/**
 * What the relay needs from the rest of the gateway. The relay declares these; the api implements
 * them. Nothing in relay/ knows about databases, HTTP or tenants.
 */
import type { Authentication } from './auth/verdict.js';
import type { ParsedMessage } from './mime/parse.js';

/** An address this gateway accepts mail for. */
export interface Recipient {
  /** Opaque id of the mailbox owner (an agent) in the api's terms. */
  agentId: string;
  /** The canonical address, lower-cased: `bot@agents.example.com`. */
  address: string;
  /**
   * Whatever the directory wants back at DATA time (the api carries the owner and the agent's
   * protection settings, saving a lookup per message). Opaque to the relay.
   */
  context?: unknown;
}

/** Which RCPT TO addresses exist. `null` means "no such mailbox here". */
export interface RecipientDirectory {
  lookup(address: string): Promise<Recipient | null>;
  /** True when `domain` is one this gateway receives for (shared domain or a verified domain). */
  isLocalDomain(domain: string): Promise<boolean>;
}

/** One message as received over SMTP, verified and parsed, ready to persist. */
export interface InboundMessage {
  /** RFC 5322 bytes as stored: sender-supplied X-E2A-* removed, our trace headers prepended. */
  raw: Buffer;
  /** Hex SHA-256 of the bytes exactly as the client sent them (duplicate detection). */
  contentHash: string;
  /** The Message-ID header without angle brackets, or null if the sender gave none. */
  messageId: string | null;
  envelope: {
    mailFrom: string;
    recipients: Recipient[];
    remoteAddress: string;
    helo: string;
  };
  authentication: Authentication;
  parsed: ParsedMessage;
  receivedAt: Date;
}

/**
 * Persists an inbound message for every recipient. Resolves only after the data is durable
 * (committed); rejects on any failure, which the relay turns into 451 4.3.0.
 */
export interface InboundSink {
  accept(message: InboundMessage): Promise<{ queueId: string }>;
}

/** The slice of a pino logger the relay uses. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
