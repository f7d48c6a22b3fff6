/**
 * A deliberately small SMTP client for protocol tests: it speaks real SMTP over a socket, sends
 * exactly what it is told (including commands a well-behaved client never would) and returns every
 * reply as a value. A library client would "fix" the open-relay tricks these tests need to send.
 */
import { connect as netConnect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  /** The RFC 3463 code at the start of the last line's text, when there is one. */
  enhanced: string | null;
  /** Text of the last line, after the code. */
  text: string;
  lines: string[];
}

export interface SendResult {
  mail: Reply;
  rcpt: Reply[];
  /** The reply to the message data (or to DATA itself if that was refused); null if no RCPT was accepted. */
  data: Reply | null;
}

export class SmtpTestClient {
  private buffer = '';
  private readonly waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private readonly ready: Reply[] = [];
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const onEnd = (err?: Error): void => {
      this.closedError = err ?? new Error('connection closed by server');
      for (const w of this.waiting.splice(0)) w.reject(this.closedError);
    };
    socket.on('error', onEnd);
    socket.on('close', () => onEnd());
  }

  /** Connects and reads the greeting. `preamble` is written before anything else (a PROXY line). */
  static async connect(port: number, opts: { host?: string; preamble?: string } = {}): Promise<SmtpTestClient> {
    const socket = netConnect({ port, host: opts.host ?? '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new SmtpTestClient(socket);
    if (opts.preamble) socket.write(opts.preamble);
    client.greeting = await client.read();
    return client;
  }

  greeting!: Reply;

  /** Sends one command line (CRLF added) and returns its reply. */
  async command(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  ehlo(name = 'client.example.com'): Promise<Reply> {
    return this.command(`EHLO ${name}`);
  }

  /** DATA, then the message dot-stuffed (RFC 5321 §4.5.2) and terminated. */
  async data(raw: Buffer): Promise<Reply> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    let text = raw.toString('latin1').replace(/(^|\n)\./g, '$1..');
    // Only CRLF.CRLF ends DATA (a bare LF before the dot does not, against SMTP smuggling), so the
    // last line always ends in CRLF, as every real client sends it, whatever the message's own ends.
    if (text.endsWith('\n') && !text.endsWith('\r\n')) text = `${text.slice(0, -1)}\r\n`;
    else if (!text.endsWith('\n')) text += '\r\n';
    this.socket.write(Buffer.from(`${text}.\r\n`, 'latin1'));
    return this.read();
  }

  /** A whole transaction: MAIL, every RCPT, and DATA if at least one recipient was accepted. */
  async send(from: string, to: string[], raw: Buffer): Promise<SendResult> {
    const mail = await this.command(`MAIL FROM:<${from}>`);
    const rcpt: Reply[] = [];
    for (const r of to) rcpt.push(await this.command(`RCPT TO:<${r}>`));
    const data = rcpt.some((r) => r.code === 250) ? await this.data(raw) : null;
    return { mail, rcpt, data };
  }

  /** Writes bytes as they are, without waiting for a reply (slow or malformed clients). */
  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** The next reply the server sends, whatever prompted it (e.g. a 421 the server sends on its own). */
  nextReply(): Promise<Reply> {
    return this.read();
  }

  /** Resolves when the server (or anything) closed the connection. */
  get closed(): Promise<void> {
    if (this.closedError || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  async quit(): Promise<void> {
    if (!this.closedError) await this.command('QUIT').catch(() => undefined);
    this.socket.destroy();
  }

  private read(): Promise<Reply> {
    const next = this.ready.shift();
    if (next) return Promise.resolve(next);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let lines: string[] = [];
    for (;;) {
      const lf = this.buffer.indexOf('\n');
      if (lf === -1) break;
      const line = this.buffer.slice(0, lf).replace(/\r$/, '');
      this.buffer = this.buffer.slice(lf + 1);
      lines.push(line);
      // RFC 5321 §4.2.1: "NNN-" continues a reply, "NNN " or a bare "NNN" ends it.
      if (/^\d{3}(?: |$)/.test(line)) {
        this.deliver(toReply(lines));
        lines = [];
      }
    }
    if (lines.length) this.buffer = lines.map((l) => `${l}\r\n`).join('') + this.buffer;
  }

  private deliver(reply: Reply): void {
    const w = this.waiting.shift();
    if (w) w.resolve(reply);
    else this.ready.push(reply);
  }
}

function toReply(lines: string[]): Reply {
  const last = lines[lines.length - 1] ?? '';
  const text = last.slice(4);
  const enhanced = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1] ?? null;
  return { code: Number(last.slice(0, 3)), enhanced, text, lines };
}
