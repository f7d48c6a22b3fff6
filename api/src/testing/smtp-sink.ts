/**
 * A real SMTP server on 127.0.0.1 that stands in for an upstream relay or a remote MX in tests:
 * it records what it receives and answers as the script says (250, a 4xx, a 5xx). `pause()` closes
 * the listening socket (connection refused) and `resume()` reopens it on the same port, so a test
 * can take the "upstream" down and bring it back.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { until } from './until.js';

export interface SinkMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** The AUTH user name, when the client authenticated. */
  user: string | null;
}

/** null accepts; otherwise the reply to the message data. */
export type SinkAnswer = null | { code: number; message: string };

export interface SmtpSink {
  host: string;
  port: number;
  readonly messages: SinkMessage[];
  /** Data transactions seen so far, answered or refused. */
  readonly attempts: number;
  /** Resolves once `n` messages were accepted (polls; the test's timeout bounds it). */
  waitFor(n: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The gateway environment that sends outbound mail upstream to `sink` (plain text on loopback),
 * with the outbound worker polling every `pollMs`.
 */
export function upstreamEnv(sink: Pick<SmtpSink, 'host' | 'port'>, pollMs = 50): Record<string, string> {
  return {
    E2A_OUTBOUND_SMTP_MODE: 'upstream',
    E2A_OUTBOUND_SMTP_HOST: sink.host,
    E2A_OUTBOUND_SMTP_PORT: String(sink.port),
    E2A_OUTBOUND_SMTP_REQUIRE_TLS: 'false',
    E2A_OUTBOUND_POLL_INTERVAL_MS: String(pollMs),
  };
}

export async function startSmtpSink(answer: (attempt: number, message: SinkMessage) => SinkAnswer = () => null): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let attempts = 0;
  const make = () =>
    new SMTPServer({
      // Plain text on loopback: no certificate to trust in tests; AUTH is allowed without TLS here.
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        callback(null, { user: auth.username });
      },
      onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const message: SinkMessage = {
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            user: typeof session.user === 'string' ? session.user : null,
          };
          const reply = answer(attempts++, message);
          if (reply) {
            const err = Object.assign(new Error(reply.message), { responseCode: reply.code });
            callback(err);
            return;
          }
          messages.push(message);
          callback(null, `2.0.0 queued as sink-${messages.length}`);
        });
      },
    });
  let server = make();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    });
  const port = await listen(0);
  let open = true;
  const close = () =>
    new Promise<void>((resolve) => {
      if (!open) return resolve();
      open = false;
      server.close(() => resolve());
    });
  return {
    host: '127.0.0.1',
    port,
    messages,
    get attempts() {
      return attempts;
    },
    async waitFor(n) {
      await until(`${n} messages at the SMTP sink`, () => messages.length >= n);
    },
    pause: close,
    async resume() {
      if (open) return;
      server = make();
      await listen(port);
      open = true;
    },
    close,
  };
}
