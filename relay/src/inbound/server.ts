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
import type { InboundSink, Logger, Recipient, RecipientDirectory } from '../ports.js';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, replyText, toSmtpError } from '../smtp-reply.js';
import { evaluateRecipient } from './address.js';
import { collectBounded } from './bounded-collect.js';
import { createInboundPipeline } from './pipeline.js';
import type { ProxyTrust } from './proxy-trust.js';
import { createProxyTrust } from './proxy-trust.js';

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
  logger: Logger;
  clock?: Clock;
  /** Enables STARTTLS (RFC 3207). Without it STARTTLS is neither offered nor accepted. */
  tls?: { key: Buffer; cert: Buffer };
  /** How long close() lets in-flight transactions finish before cutting them off (default 10 s). */
  drainTimeoutMs?: number;
}

export interface InboundServer {
  listen(host: string, port: number): Promise<{ port: number }>;
  close(): Promise<void>;
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
  const { directory, logger, hostname, maxMessageBytes, maxRecipients } = options;
  const clock = options.clock ?? systemClock;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const pipeline = createInboundPipeline({
    verifier: options.verifier,
    sink: options.sink,
    hostname,
    logger,
    clock,
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

  const reply = (callback: (err?: Error | null) => void, r: SmtpReply): void => callback(toSmtpError(r));

  const smtpOptions: SMTPServerOptions = {
    name: hostname,
    banner: 'e2a inbound',
    size: maxMessageBytes,
    // Inbound MX: anyone may deliver to our mailboxes, nobody may log in (no submission here).
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    // A PTR lookup per connection only adds latency and a DNS dependency; nothing here reads it.
    disableReverseLookup: true,
    logger: false,
    // Backstop only: close() cuts connections itself once in-flight transactions are done.
    closeTimeout: drainTimeoutMs + 5_000,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),

    onConnect(_session, callback) {
      if (closing) return reply(callback, REPLY.shuttingDown);
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
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      if (closing && !transactions.has(session)) return reply(callback, REPLY.shuttingDown);
      const accept = async (): Promise<SmtpReply | null> => {
        const verdict = await evaluateRecipient(address.address, directory);
        if (!verdict.ok) {
          logger.info({ session: session.id, rcpt: address.address, reason: verdict.reason }, 'recipient refused');
          return verdict.reply;
        }
        const current = transactions.get(session);
        // The connection closed during the lookup: nobody is left to answer.
        if (!current) return REPLY.tryAgainLater;
        const distinct = new Set([...current.values()].map((r) => r.address));
        if (!distinct.has(verdict.recipient.address) && distinct.size >= maxRecipients) {
          return REPLY.tooManyRecipients;
        }
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
    const accepted = transactions.get(session) ?? new Map<string, Recipient>();
    const recipients = uniqueRecipients(session.envelope.rcptTo, accepted);
    if (recipients.length === 0) return REPLY.tryAgainLater;
    return pipeline(collected.bytes, {
      id: `${session.id}.${session.transaction}`,
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients,
      remoteAddress: session.remoteAddress,
      helo: session.hostNameAppearsAs || '',
      protocol: session.transmissionType || 'ESMTP',
    });
  }

  const smtp = new CidrProxySmtpServer(smtpOptions, createProxyTrust(options.trustedProxyCidrs));
  // Without a listener an 'error' event (a client resetting its socket) would crash the process.
  smtp.on('error', (err) => logger.warn({ err }, 'smtp connection error'));

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        smtp.server.once('error', onError);
        smtp.listen(port, host, () => {
          smtp.server.off('error', onError);
          const address = smtp.server.address();
          resolve({ port: typeof address === 'object' && address ? address.port : port });
        });
      });
    },

    async close() {
      closing = true;
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
    },
  };
}

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
