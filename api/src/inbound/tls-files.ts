/**
 * The STARTTLS certificate and key named by smtp.tls_cert_file and smtp.tls_key_file: read at
 * start-up (where a bad pair stops the process, naming the key), and read again on SIGHUP and when
 * either file is replaced, so a renewed certificate is served without a restart. A replacement
 * that does not load leaves the pair in service untouched and logs a warning.
 */
import { readFile, stat } from 'node:fs/promises';
import { checkTlsCredentials, type CertificateSummary, type Logger, type TlsCheck, type TlsCredentials } from '@e2a/relay';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The config key behind each file, for errors the operator can act on. */
const KEY = { cert: 'smtp.tls_cert_file', key: 'smtp.tls_key_file' } as const;
export type TlsFileKey = (typeof KEY)[keyof typeof KEY];

export type TlsLoad = { ok: true; credentials: TlsCredentials; certificate: CertificateSummary } | { ok: false; key: TlsFileKey; reason: string };

/** What a reload did; `off` when no certificate is configured. */
export type TlsReload =
  | { status: 'reloaded'; certificate: CertificateSummary }
  | { status: 'failed'; key: TlsFileKey; reason: string }
  | { status: 'off' };

export type TlsReloadTrigger = 'SIGHUP' | 'file change' | 'request';

/** The files to serve STARTTLS with, or null when the config turns STARTTLS off. */
export function tlsFilesOf(smtp: Config['smtp']): TlsFiles | null {
  return smtp.tls_cert_file === '' ? null : { certFile: smtp.tls_cert_file, keyFile: smtp.tls_key_file };
}

export interface CertificateFilesOptions {
  files: TlsFiles;
  logger: Logger;
  clock: Clock;
  /** How often both files are checked for a replacement; 0 = never (SIGHUP only). */
  watchIntervalMs: number;
}

export class CertificateFiles {
  private readonly files: TlsFiles;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly watchIntervalMs: number;
  private apply: ((credentials: TlsCredentials) => TlsCheck) | null = null;
  /** Reloads run one at a time, so a slow older read never replaces a newer pair. */
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** The files' identity when last read, and a changed identity seen on the previous check. */
  private loaded = '';
  private settling: string | null = null;
  private checking = false;

  constructor(options: CertificateFilesOptions) {
    this.files = options.files;
    this.logger = options.logger;
    this.clock = options.clock;
    this.watchIntervalMs = options.watchIntervalMs;
  }

  /** Reads and checks both files. */
  async load(): Promise<TlsLoad> {
    this.loaded = await identity(this.files);
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = await readFile(this.files.certFile);
    } catch (err) {
      return { ok: false, key: KEY.cert, reason: `cannot read ${this.files.certFile}: ${errorCode(err)}` };
    }
    try {
      key = await readFile(this.files.keyFile);
    } catch (err) {
      return { ok: false, key: KEY.key, reason: `cannot read ${this.files.keyFile}: ${errorCode(err)}` };
    }
    const check = checkTlsCredentials({ cert, key });
    if (!check.ok) {
      const file = check.fault === 'cert' ? this.files.certFile : this.files.keyFile;
      return { ok: false, key: KEY[check.fault], reason: `${file}: ${check.reason}` };
    }
    if (check.certificate.validTo.getTime() < this.clock.now().getTime()) {
      this.logger.warn({ subject: check.certificate.subject, valid_to: check.certificate.validTo }, 'STARTTLS certificate has expired: senders that verify certificates will not deliver over TLS');
    }
    return { ok: true, credentials: { cert, key }, certificate: check.certificate };
  }

  /**
   * From now on reloads go to `apply` (the inbound server's updateTls), and the files are watched.
   * Watching polls their identity (device, inode, size, times, through symlinks): certbot swaps
   * the symlinks in live/ and others rename a new file into place, and fs.watch on a file misses
   * both. A change is taken once the files have looked the same for one interval, so a copy still
   * being written, or a certificate renewed before its key, is not read half-way.
   */
  serve(apply: (credentials: TlsCredentials) => TlsCheck): void {
    this.apply = apply;
    if (this.watchIntervalMs === 0 || this.timer) return;
    this.timer = setInterval(() => void this.check(), this.watchIntervalMs);
    this.timer.unref();
  }

  /** Reads both files again and serves them if they load; otherwise keeps the current pair. */
  reload(trigger: TlsReloadTrigger): Promise<TlsReload> {
    const run = this.queue.then(() => this.reloadNow(trigger));
    this.queue = run.catch(() => {});
    return run;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async reloadNow(trigger: TlsReloadTrigger): Promise<TlsReload> {
    const loaded = await this.load();
    let outcome: TlsReload;
    if (!loaded.ok) outcome = { status: 'failed', key: loaded.key, reason: loaded.reason };
    else {
      const served = this.apply ? this.apply(loaded.credentials) : { ok: false as const, fault: 'cert' as const, reason: 'the SMTP server is not running' };
      outcome = served.ok ? { status: 'reloaded', certificate: loaded.certificate } : { status: 'failed', key: KEY[served.fault], reason: served.reason };
    }
    if (outcome.status === 'reloaded') {
      const { subject, fingerprint256, validTo } = outcome.certificate;
      this.logger.info({ trigger, subject, fingerprint256, valid_to: validTo }, 'STARTTLS certificate reloaded');
    } else if (outcome.status === 'failed') {
      this.logger.warn({ trigger, key: outcome.key, reason: outcome.reason }, 'STARTTLS certificate not reloaded; still serving the previous one');
    }
    return outcome;
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const now = await identity(this.files);
      if (now === this.loaded) this.settling = null;
      else if (now !== this.settling) this.settling = now;
      else {
        this.settling = null;
        await this.reload('file change');
      }
    } finally {
      this.checking = false;
    }
  }
}

/** What changes when a file is rewritten, renamed over or swapped behind a symlink. */
async function identity(files: TlsFiles): Promise<string> {
  const one = async (path: string): Promise<string> => {
    try {
      const s = await stat(path);
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (err) {
      return `missing:${errorCode(err)}`;
    }
  };
  return `${await one(files.certFile)}|${await one(files.keyFile)}`;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}
