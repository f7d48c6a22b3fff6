/**
 * Relay through one upstream SMTP server (a smarthost or an ESP) over a pool of connections:
 * submission with AUTH when credentials are set, and STARTTLS required unless the operator turned
 * outbound_smtp.require_tls off (RFC 3207; port 465 is implicit TLS, RFC 8314 §3.3).
 */
import nodemailer from 'nodemailer';
import { outcomesFrom, type OutboundEnvelope, type OutboundTransport, type RecipientOutcome } from './transport.js';

export interface UpstreamOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  requireTls: boolean;
  poolSize: number;
  /** Messages per pooled connection before it is replaced; 0 = no limit. */
  maxMessagesPerConnection: number;
  timeoutMs: number;
  /** Our name in EHLO. */
  hostname: string;
}

export function createUpstreamTransport(options: UpstreamOptions): OutboundTransport {
  const transporter = nodemailer.createTransport({
    pool: true,
    host: options.host,
    port: options.port,
    secure: options.port === 465,
    requireTLS: options.requireTls,
    // Without require_tls the upgrade is opportunistic (RFC 7435): STARTTLS when offered.
    name: options.hostname,
    maxConnections: options.poolSize,
    // nodemailer's own default replaces a connection every 100 messages.
    maxMessages: options.maxMessagesPerConnection === 0 ? Infinity : options.maxMessagesPerConnection,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    ...(options.username ? { auth: { user: options.username, pass: options.password } } : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(envelope: OutboundEnvelope, raw: Buffer): Promise<RecipientOutcome[]> {
      try {
        const info = await transporter.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw });
        return outcomesFrom(envelope.to, { info: info as never });
      } catch (err) {
        return outcomesFrom(envelope.to, { error: err as never });
      }
    },
    async close() {
      transporter.close();
    },
  };
}
