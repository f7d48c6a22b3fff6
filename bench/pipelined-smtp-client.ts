/**
 * The load generator's SMTP client: RFC 2920 pipelining of MAIL, RCPT and DATA as a real MTA does
 * (Postfix, Gmail), wire bytes prepared in advance, and the instant the final "\r\n.\r\n" left for
 * the kernel recorded, so latency is "end of DATA → 250" and nothing else.
 */
import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  text: string;
}

export interface DataResult {
  reply: Reply;
  /** Milliseconds from the final dot reaching the kernel to the reply's last line. */
  latencyMs: number;
}

export class PipelinedSmtpClient {
  private buffer = '';
  private lines: string[] = [];
  private readonly waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private readonly ready: Reply[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (err?: Error): void => {
      this.failure ??= err ?? new Error('connection closed');
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  static async open(host: string, port: number, helo: string): Promise<PipelinedSmtpClient> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new PipelinedSmtpClient(socket);
    expectCode(await client.read(), 220, 'greeting');
    client.socket.write(`EHLO ${helo}\r\n`);
    expectCode(await client.read(), 250, 'EHLO');
    return client;
  }

  /** One transaction; `wire` is the dot-stuffed message including the terminating dot line. */
  async send(from: string, to: string, wire: Buffer): Promise<DataResult> {
    this.socket.write(`MAIL FROM:<${from}> SIZE=${wire.length}\r\nRCPT TO:<${to}>\r\nDATA\r\n`);
    const mail = await this.read();
    const rcpt = await this.read();
    const data = await this.read();
    if (data.code !== 354) {
      // RFC 2920: a refused MAIL or RCPT makes the pipelined DATA fail too; report the first cause.
      return { reply: [mail, rcpt, data].find((r) => r.code >= 400)!, latencyMs: 0 };
    }
    let sentAt = 0;
    const written = new Promise<void>((resolve) =>
      this.socket.write(wire, () => {
        sentAt = performance.now();
        resolve();
      }),
    );
    const reply = await this.read();
    const repliedAt = performance.now();
    await written;
    return { reply, latencyMs: repliedAt - Math.min(sentAt, repliedAt) };
  }

  async quit(): Promise<void> {
    if (!this.failure) {
      this.socket.write('QUIT\r\n');
      await this.read().catch(() => undefined);
    }
    this.socket.destroy();
  }

  private read(): Promise<Reply> {
    const next = this.ready.shift();
    if (next) return Promise.resolve(next);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let lf = this.buffer.indexOf('\n'); lf !== -1; lf = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, lf).replace(/\r$/, '');
      this.buffer = this.buffer.slice(lf + 1);
      this.lines.push(line);
      // RFC 5321 §4.2.1: "NNN-" continues a reply; "NNN " or a bare "NNN" ends it.
      if (/^\d{3}(?: |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n') };
        this.lines = [];
        const w = this.waiting.shift();
        if (w) w.resolve(reply);
        else this.ready.push(reply);
      }
    }
  }
}

function expectCode(reply: Reply, code: number, what: string): void {
  if (reply.code !== code) throw new Error(`${what}: expected ${code}, got ${reply.text}`);
}
