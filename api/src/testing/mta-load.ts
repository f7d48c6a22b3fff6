/**
 * SMTP load that behaves like real MTAs, for fault tests: several sessions send concurrently, and a
 * message refused with a 4xx (or whose session died before its reply) is queued and sent again
 * until it gets a 250 (RFC 5321 §4.5.4.1: the sender keeps the message and retries). Every reply is
 * recorded with when its transaction started and ended, so a test can ask what was answered while
 * a fault was in force.
 */
import { performance } from 'node:perf_hooks';
import { SmtpTestClient, type SendResult } from '@e2a/relay/testing';

export interface LoadMessage {
  messageId: string;
  raw: Buffer;
}

export interface Attempt {
  messageId: string;
  /** The transaction's final reply code; 0 when the session died before it. */
  code: number;
  /** performance.now() when MAIL was sent and when the final reply arrived. */
  startedAt: number;
  endedAt: number;
}

export interface MtaLoadOptions {
  port: number;
  from: string;
  to: string;
  sessions: number;
  /** Builds the n-th new message. */
  message: (n: number) => LoadMessage;
  /** A sender's pause before re-sending a refused message; short here, minutes in real MTAs. */
  retryDelayMs?: number;
}

export class MtaLoad {
  readonly attempts: Attempt[] = [];
  /** 250s per Message-ID. */
  readonly acked = new Map<string, number>();
  /** Every message handed to a session, in order. */
  readonly sent: LoadMessage[] = [];
  private readonly retries: LoadMessage[] = [];
  private draining = false;
  private abandoned = false;
  private readonly done: Promise<void>;

  constructor(private readonly options: MtaLoadOptions) {
    this.done = Promise.all(Array.from({ length: options.sessions }, () => this.session())).then(() => {});
  }

  /** Number of 250 replies so far. */
  get ackCount(): number {
    return this.attempts.filter((a) => a.code === 250).length;
  }

  /** Attempts answered with `code` that started after `since` (performance.now()). */
  answered(code: number, since = 0): Attempt[] {
    return this.attempts.filter((a) => a.code === code && a.startedAt > since);
  }

  /** Stops taking new messages, re-sends what is still refused until it is accepted, and resolves then. */
  finish(): Promise<void> {
    this.draining = true;
    return this.done;
  }

  /** Every session stops after its current transaction, leaving refused messages unsent (a failed test's cleanup). */
  abandon(): void {
    this.abandoned = true;
  }

  private take(): LoadMessage | null {
    if (this.abandoned) return null;
    const retry = this.retries.shift();
    if (retry) return retry;
    if (this.draining) return null;
    const message = this.options.message(this.sent.length);
    this.sent.push(message);
    return message;
  }

  private async session(): Promise<void> {
    const { port, from, to } = this.options;
    let client: SmtpTestClient | null = null;
    for (;;) {
      const message = this.take();
      if (!message) break;
      const startedAt = performance.now();
      let code = 0;
      try {
        if (!client) {
          client = await SmtpTestClient.connect(port);
          await client.ehlo('mta.example.com');
        }
        const result = await client.send(from, [to], message.raw);
        code = finalCode(result);
        // A refused RCPT leaves the transaction open (RFC 5321 §4.1.1.5): reset it for the next MAIL.
        if (result.data === null) await client.command('RSET');
      } catch {
        // The session died: the message's fate is unknown to the sender, which sends it again.
        await client?.quit();
        client = null;
      }
      this.attempts.push({ messageId: message.messageId, code, startedAt, endedAt: performance.now() });
      if (code === 250) {
        this.acked.set(message.messageId, (this.acked.get(message.messageId) ?? 0) + 1);
        continue;
      }
      // Anything but a 4xx or a lost session is final: a real MTA bounces on 5xx. The test sees it in attempts.
      if (code !== 0 && (code < 400 || code >= 500)) continue;
      this.retries.push(message);
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 20));
    }
    await client?.quit();
  }
}

function finalCode(result: SendResult): number {
  if (result.mail.code !== 250) return result.mail.code;
  if (result.data) return result.data.code;
  return result.rcpt[0]?.code ?? 0;
}
