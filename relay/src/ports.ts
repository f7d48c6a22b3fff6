/**
 * What the relay needs from the rest of the gateway. The relay declares these; the api implements
 * them. Nothing in relay/ knows about databases, HTTP or tenants.
 */
import type { Authentication } from './auth/verdict.js';
import type { ParsedMessage } from './mime/parse.js';
import type { SmtpReply } from './smtp-reply.js';

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
 * (committed); rejects on any failure, which the relay turns into 451 4.3.0. A `refusal` (a policy
 * verdict after DATA, e.g. a list that does not take this sender) is the reply instead of 250, and
 * means nothing was stored.
 */
export interface InboundSink {
  accept(message: InboundMessage): Promise<{ queueId: string; refusal?: SmtpReply }>;
}

/**
 * What an inbound session spends against budgets that every replica shares (rate limits over time).
 * The relay says what happened; the api decides what it costs and whether it is allowed.
 * `client` is the client's network (clientNetwork(): an IPv4 address or an IPv6 /64).
 */
export type BudgetStep =
  /** A recipient the directory accepted; `firstOfTransaction` also counts the transaction. */
  | { kind: 'recipient'; client: string; mailFrom: string; recipient: Recipient; firstOfTransaction: boolean }
  /** A recipient refused as unknown, malformed or foreign (address harvesting, relay probing). */
  | { kind: 'refusal'; client: string };

export type BudgetLimit = 'client_transactions' | 'client_messages' | 'sender_recipient' | 'client_refusals';

export type BudgetVerdict = { ok: true } | { ok: false; limit: BudgetLimit; retryAfterSeconds: number };

export interface InboundBudget {
  /** Rejects only when the budget could not be consulted (the relay then answers 451). */
  charge(step: BudgetStep): Promise<BudgetVerdict>;
}

/**
 * What the inbound edge reports as it happens (the api counts it for /metrics). Every method is
 * cheap and synchronous; none of them receives an address, a subject or any other message content.
 */
export interface InboundObserver {
  /** A connection admitted to a session, or turned away at connect (limits, shutting down). */
  session(result: 'accepted' | 'refused'): void;
  /** The reply to DATA, once per transaction that reached DATA. */
  transaction(code: number): void;
  /** Bytes of a message received in full (within the size limit). */
  received(bytes: number): void;
  /** The sender-authentication verdict of a message. */
  verdict(authentication: Authentication): void;
  /**
   * Runs one transaction's processing after DATA (`tx` is its id, as in the Received line), so
   * whatever it logs, in the api too, can carry that id.
   */
  inTransaction<T>(tx: string, run: () => Promise<T>): Promise<T>;
}

/** The slice of a pino logger the relay uses. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
