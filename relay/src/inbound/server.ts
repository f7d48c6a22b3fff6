/**
 * The inbound SMTP edge (port 25 style): receive-only, no AUTH, recipients limited to mailboxes the
 * directory knows, size enforced while DATA streams, every failure after DATA a 451.
 */
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { SenderVerifier } from '../auth/verify.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { InboundBudget, InboundObserver, InboundSink, Logger, Recipient, RecipientDirectory } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, replyText, toSmtpError } from '../smtp-reply.js';
import { evaluateRecipient } from './address.js';
import { collectBounded } from './bounded-collect.js';
import { chargeRecipient, chargeRefusal } from './budget-replies.js';
import { clientNetwork } from './client-network.js';
import { createSessionGuard, socketCap, type SessionLimits } from './session-limits.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from '../mime/limits.js';
import { createMessageParser } from '../mime/message-parser.js';
import { createInboundPipeline } from './pipeline.js';
import type { ProxyTrust } from './proxy-trust.js';
import { createProxyTrust } from './proxy-trust.js';
import { checkTlsCredentials, TlsSessions, tlsServerOptions, type TlsCheck, type TlsCredentials } from './tls.js';

export interface InboundServerOptions {
  directory: RecipientDirectory;
  sink: InboundSink;
  verifier: SenderVerifier;
  /** Advertised with SIZE (RFC 1870) and enforced while DATA streams: 552 5.3.4 beyond it. */
  maxMessageBytes: number;
  /** Distinct recipients per transaction; more get 452 4.5.3 (RFC 5321 §4.5.3.1.10). */
  maxRecipients: number;
  /** Our host name: greeting, Received line, authserv-id. */
  hostname: string;
  /** Peers allowed to send a PROXY v1 header; empty means PROXY is never accepted. */
  trustedProxyCidrs: string[];
  /** Per-process session limits: connections, session length, data-rate floor, refused recipients. */
  limits: SessionLimits;
  /** Rate budgets shared by every replica (transactions, messages, sender → mailbox, refusals). */
  budget: InboundBudget;
  logger: Logger;
  clock?: Clock;
  /**
   * Enables STARTTLS (RFC 3207), TLS 1.2 and up. Without it STARTTLS is neither offered nor
   * accepted. Check it with checkTlsCredentials() first: smtp-server throws on a bad pair.
   */
  tls?: TlsCredentials;
  /** How long close() lets in-flight transactions finish before cutting them off (default 10 s). */
  drainTimeoutMs?: number;
  /** Header and MIME limits; over one, the message gets 552 5.3.4 / 554 5.6.0 (default DEFAULT_MESSAGE_LIMITS). */
  messageLimits?: MessageLimits;
  /** Told of sessions, transactions, sizes and verdicts (metrics); default: nobody. */
  observer?: InboundObserver;
}

/** How the listening socket is bound. */
export interface InboundListenOptions {
  /**
   * SO_REUSEPORT: several processes bind the same port and the kernel spreads connections among
   * them (Linux 3.9+, FreeBSD 12+; elsewhere listen fails with ENOTSUP). Default false.
   */
  reusePort?: boolean;
}

export interface InboundServer {
  listen(host: string, port: number, options?: InboundListenOptions): Promise<{ port: number }>;
  close(): Promise<void>;
  /**
   * Serves new STARTTLS handshakes with these credentials if they pass checkTlsCredentials();
   * otherwise keeps the current ones. Sessions already encrypted are not touched.
   */
  updateTls(credentials: TlsCredentials): TlsCheck;
}

/** Recipients accepted in the current transaction, keyed by the address string the client used. */
type TransactionRecipients = Map<string, Recipient>;

/**
 * smtp-server only takes exact addresses for `useProxy`. This subclass answers its
 * `_expectsProxyHeader` hook (declared in its typings; the only reader of `useProxy`) from a CIDR
 * list instead. If a future smtp-server stops calling the hook, PROXY is simply never accepted.
 */
class CidrProxySmtpServer extends SMTPServer {
  private readonly proxyTrust: ProxyTrust;

  constructor(options: SMTPServerOptions, proxyTrust: ProxyTrust) {
    super(options);
    this.proxyTrust = proxyTrust;
  }

  override _expectsProxyHeader(socket: Socket): boolean {
    return this.proxyTrust.trusts(socket.remoteAddress ?? '');
  }
}

export function createInboundServer(options: InboundServerOptions): InboundServer {
  const { directory, logger, hostname, maxMessageBytes, maxRecipients, limits, budget } = options;
  const clock = options.clock ?? systemClock;
  const observer = options.observer ?? NO_OBSERVER;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  // Large messages parse in a worker thread; closed with the server.
  const parser = createMessageParser();
  const pipeline = createInboundPipeline({
    verifier: options.verifier,
    sink: options.sink,
    hostname,
    logger,
    clock,
    messageLimits: options.messageLimits ?? DEFAULT_MESSAGE_LIMITS,
    parser,
    observer,
  });
  /**
   * Transactions under way (MAIL accepted, DATA not yet answered) and their recipients. On close()
   * they may finish (their client is mid-conversation and owed an answer); new ones get 421.
   */
  const transactions = new Map<SMTPServerSession, TransactionRecipients>();
  let closing = false;
  /** Set by close() while it waits for the last transaction under way to end. */
  let drained: (() => void) | null = null;
  const endTransaction = (session: SMTPServerSession): void => {
    if (transactions.delete(session) && transactions.size === 0) drained?.();
  };
  /** Recipients refused so far in each session (address harvesting is cut off after a few). */
  const refusedRecipients = new Map<string, number>();

  const reply = (callback: (err?: Error | null) => void, r: SmtpReply): void => callback(toSmtpError(r));
  const tlsSessions = new TlsSessions();

  const smtpOptions: SMTPServerOptions = {
    name: hostname,
    banner: 'e2a inbound',
    size: maxMessageBytes,
    // Inbound MX: anyone may deliver to our mailboxes, nobody may log in (no submission here).
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    // A PTR lookup per connection only adds latency and a DNS dependency; nothing here reads it.
    disableReverseLookup: true,
    socketTimeout: limits.idleTimeoutMs,
    // The session guard answers over-limit clients itself (with an enhanced code); this cap is the
    // backstop for sockets still in a PROXY or TLS handshake, which the guard cannot see yet.
    maxClients: Math.ceil(limits.maxConnections * 1.1) + 1,
    logger: false,
    // Backstop only: close() cuts connections itself once in-flight transactions are done.
    closeTimeout: drainTimeoutMs + 5_000,
    ...(options.tls ? tlsServerOptions(options.tls) : {}),

    onSecure(socket, session, callback) {
      // For the Received line: RFC 3848 ESMTPS, plus the version and cipher as a comment.
      tlsSessions.record(socket, session);
      callback();
    },

    onConnect(session, callback) {
      if (closing) {
        observer.session('refused');
        return reply(callback, REPLY.shuttingDown);
      }
      const refusal = guard.open(session);
      observer.session(refusal ? 'refused' : 'accepted');
      if (refusal) {
        logger.info({ session: session.id, client: clientNetwork(session.remoteAddress), reason: refusal.text }, 'connection refused');
        return reply(callback, refusal);
      }
      callback();
    },

    onMailFrom(_address, session, callback) {
      if (closing) return reply(callback, REPLY.shuttingDown);
      // A new transaction (RFC 5321 §4.1.4: MAIL starts one, RSET or a finished DATA ended the last).
      transactions.set(session, new Map());
      callback();
    },

    onClose(session) {
      endTransaction(session);
      guard.close(session);
      refusedRecipients.delete(session.id);
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      if (closing && !transactions.has(session)) return reply(callback, REPLY.shuttingDown);
      const client = clientNetwork(session.remoteAddress);
      const accept = async (): Promise<SmtpReply | null> => {
        const verdict = await evaluateRecipient(address.address, directory);
        if (!verdict.ok) {
          logger.info({ session: session.id, rcpt: address.address, reason: verdict.reason }, 'recipient refused');
          const before = refusedRecipients.get(session.id) ?? 0;
          refusedRecipients.set(session.id, before + 1);
          if (before + 1 > limits.maxRefusedRecipients) return REPLY.tooManyRefusedRecipients;
          const overBudget = await chargeRefusal(budget, client);
          if (overBudget) return overBudget;
          await delay(guard.refusalDelayMs(before));
          return verdict.reply;
        }
        const current = transactions.get(session);
        // The connection closed during the lookup: nobody is left to answer.
        if (!current) return REPLY.tryAgainLater;
        const distinct = new Set([...current.values()].map((r) => r.address));
        if (distinct.has(verdict.recipient.address)) {
          current.set(address.address.toLowerCase(), verdict.recipient);
          return null;
        }
        if (distinct.size >= maxRecipients) return REPLY.tooManyRecipients;
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const overBudget = await chargeRecipient(budget, { client, mailFrom, recipient: verdict.recipient, firstOfTransaction: distinct.size === 0 });
        if (overBudget) {
          logger.info({ session: session.id, client, rcpt: verdict.recipient.address, reason: overBudget.text }, 'recipient deferred by rate limit');
          return overBudget;
        }
        // The lookups took time: the transaction may have ended (RSET, closed connection) meanwhile.
        if (transactions.get(session) !== current) return REPLY.tryAgainLater;
        current.set(address.address.toLowerCase(), verdict.recipient);
        return null;
      };
      accept().then(
        (refusal) => (refusal ? reply(callback, refusal) : callback()),
        (err: unknown) => {
          logger.error({ err, session: session.id }, 'recipient lookup failed');
          reply(callback, REPLY.tryAgainLater);
        },
      );
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      // The transaction ends before its answer: smtp-server runs a pipelined MAIL (the next
      // transaction) from inside the callback.
      void handleData(stream, session)
        .catch((err: unknown) => {
          logger.error({ err, session: session.id }, 'DATA failed');
          return REPLY.tryAgainLater;
        })
        .then((r) => {
          endTransaction(session);
          observer.transaction(r.code);
          if (r.code < 400) callback(null, replyText(r));
          else callback(toSmtpError(r));
        });
    },
  };

  async function handleData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<SmtpReply> {
    const collected = await collectBounded(stream, maxMessageBytes);
    if (!collected.ok) {
      logger.info({ session: session.id, bytes: collected.size, limit: maxMessageBytes }, 'message too big');
      return REPLY.messageTooBig;
    }
    observer.received(collected.bytes.length);
    const accepted = transactions.get(session) ?? new Map<string, Recipient>();
    const recipients = uniqueRecipients(session.envelope.rcptTo, accepted);
    if (recipients.length === 0) return REPLY.tryAgainLater;
    const id = `${session.id}.${session.transaction}`;
    return observer.inTransaction(id, () => pipeline(collected.bytes, {
      id,
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients,
      remoteAddress: session.remoteAddress,
      helo: session.hostNameAppearsAs || '',
      protocol: session.transmissionType || 'ESMTP',
      tls: tlsSessions.of(session),
    }));
  }

  const smtp = new CidrProxySmtpServer(smtpOptions, createProxyTrust(options.trustedProxyCidrs));
  const guard = createSessionGuard(smtp, limits);
  smtp.server.maxConnections = socketCap(limits);
  // Without a listener an 'error' event (a client resetting its socket) would crash the process.
  smtp.on('error', (err) => logger.warn({ err }, 'smtp connection error'));

  return {
    listen(host, port, listenOptions = {}) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        smtp.server.once('error', onError);
        smtp.listen({ port, host, reusePort: listenOptions.reusePort ?? false }, () => {
          smtp.server.off('error', onError);
          guard.start();
          const address = smtp.server.address();
          resolve({ port: typeof address === 'object' && address ? address.port : port });
        });
      });
    },

    updateTls(credentials) {
      if (!options.tls) throw new Error('STARTTLS is off on this server: start it with tls to serve a certificate');
      const check = checkTlsCredentials(credentials);
      if (check.ok) smtp.updateSecureContext(tlsServerOptions(credentials));
      return check;
    },

    async close() {
      closing = true;
      guard.stop();
      // Stop listening ourselves rather than through smtp.close(): once that is called,
      // smtp-server answers every further command with 421, even inside a transaction we owe.
      const closed = new Promise<void>((resolve) => smtp.server.close(() => resolve()));
      // Let transactions under way finish (their 250 or 451 is owed), but not forever.
      if (transactions.size > 0) {
        await Promise.race([new Promise<void>((resolve) => (drained = resolve)), delay(drainTimeoutMs)]);
      }
      for (const connection of [...smtp.connections]) {
        connection.send(REPLY.shuttingDown.code, replyText(REPLY.shuttingDown));
        connection.close();
      }
      await closed;
      await parser.close();
    },
  };
}

const NO_OBSERVER: InboundObserver = {
  session() {},
  transaction() {},
  received() {},
  verdict() {},
  inTransaction: (_tx, run) => run(),
};

/** One entry per mailbox, in RCPT order, even if two spellings led to the same recipient. */
function uniqueRecipients(rcptTo: SMTPServerAddress[], accepted: TransactionRecipients): Recipient[] {
  const seen = new Set<string>();
  const out: Recipient[] = [];
  for (const rcpt of rcptTo) {
    const recipient = accepted.get(rcpt.address.toLowerCase());
    if (!recipient || seen.has(recipient.address)) continue;
    seen.add(recipient.address);
    out.push(recipient);
  }
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
