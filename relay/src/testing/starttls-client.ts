/**
 * STARTTLS from the client side, for tests: a probe that reports what the server's handshake
 * offers (protocol, cipher, certificate) without sending mail, and a delivery through nodemailer,
 * a real MTA-grade client, with requireTLS so a missing STARTTLS fails instead of falling back to
 * cleartext.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import nodemailer from 'nodemailer';

export type StartTlsProbe =
  | {
      ok: true;
      protocol: string;
      cipher: string;
      fingerprint256: string;
      /** The EHLO keywords offered inside the encrypted session. */
      ehlo: string[];
    }
  | { ok: false; stage: 'starttls' | 'handshake'; error: string };

/**
 * Connects, says EHLO, asks for STARTTLS and completes the handshake with `tls` options (e.g.
 * `maxVersion`), then EHLO again and QUIT. The certificate is not verified: the probe reports it.
 */
export async function probeStartTls(port: number, tls: ConnectionOptions = {}): Promise<StartTlsProbe> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const plain = new ReplyReader(socket);
  try {
    await plain.next();
    await plain.command('EHLO probe.example.com');
    const go = await plain.command('STARTTLS');
    if (!go.startsWith('220')) return { ok: false, stage: 'starttls', error: go };
    plain.detach();
    const secure = await new Promise<TLSSocket | Error>((resolve) => {
      const s = tlsConnect({ socket, rejectUnauthorized: false, ...tls }, () => resolve(s));
      s.on('error', (err) => resolve(err));
    });
    if (secure instanceof Error) return { ok: false, stage: 'handshake', error: `${(secure as NodeJS.ErrnoException).code ?? ''} ${secure.message}` };
    const negotiated = {
      protocol: secure.getProtocol() ?? '',
      cipher: secure.getCipher().name,
      fingerprint256: secure.getPeerCertificate().fingerprint256,
    };
    const inner = new ReplyReader(secure);
    const ehlo = await inner.command('EHLO probe.example.com');
    await inner.command('QUIT').catch(() => '');
    secure.destroy();
    return { ok: true, ...negotiated, ehlo: ehlo.split('\r\n').map((line) => line.slice(4)) };
  } finally {
    socket.destroy();
  }
}

export interface StartTlsDelivery {
  port: number;
  from: string;
  to: string[];
  raw: Buffer;
  /** CA the client trusts (the self-signed certificate itself); the name checked is mx.agents.test. */
  ca: Buffer;
  tls?: ConnectionOptions;
}

/** Delivers over STARTTLS with nodemailer; resolves with the server's final reply text. */
export async function deliverOverStartTls(d: StartTlsDelivery): Promise<string> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: d.port,
    secure: false,
    requireTLS: true,
    name: 'client.example.com',
    tls: { ca: d.ca, servername: 'mx.agents.test', ...d.tls },
  });
  try {
    const info = await transport.sendMail({ envelope: { from: d.from, to: d.to }, raw: d.raw });
    return info.response;
  } finally {
    transport.close();
  }
}

/** Reads SMTP replies (multi-line ones whole) from a socket, one per call, in order. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting: Array<{ resolve: (reply: string) => void; reject: (err: Error) => void }> = [];
  private ended: Error | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('latin1');
    let at: number;
    while ((at = this.buffer.indexOf('\r\n')) >= 0) {
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      this.lines.push(line);
      // RFC 5321 §4.2.1: "ddd-" continues a reply, "ddd " ends it.
      if (line[3] !== '-') this.waiting.shift()?.resolve(this.lines.splice(0).join('\r\n'));
    }
  };
  private readonly onEnd = (err?: Error): void => {
    this.ended = err ?? new Error('connection closed by server');
    for (const w of this.waiting.splice(0)) w.reject(this.ended);
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('error', this.onEnd);
    socket.on('close', () => this.onEnd());
  }

  next(): Promise<string> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  command(line: string): Promise<string> {
    const reply = this.next();
    this.socket.write(`${line}\r\n`);
    return reply;
  }

  /** Hands the socket over (to TLS): nothing more is read here. */
  detach(): void {
    this.socket.off('data', this.onData);
  }
}
