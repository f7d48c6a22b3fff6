/**
 * Sender verification: SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 9989) and ARC (RFC 8617) through
 * mailauth, with DNS injected. The answer is always a verdict; nothing here throws to the caller.
 */
import { authenticate } from 'mailauth';
import type { Logger } from '../ports.js';
import type { Resolver } from './resolver.js';
import { authResultsField, toAuthentication } from './mailauth-verdict.js';
import type { Authentication } from './verdict.js';
import { temperrorVerdict } from './verdict.js';

export interface VerifyContext {
  /** The client's IP address as seen by us (after a trusted PROXY header). */
  ip: string;
  /** The EHLO/HELO argument. */
  helo: string;
  /** The MAIL FROM address; empty for the null sender (bounces). */
  mailFrom: string;
}

export interface VerifyResult {
  authentication: Authentication;
  /** One `Authentication-Results:` field (RFC 8601), folded with CRLF, no trailing line break. */
  authResultsHeader: string;
}

export interface SenderVerifier {
  verify(raw: Buffer, ctx: VerifyContext): Promise<VerifyResult>;
}

export interface SenderVerifierOptions {
  resolver: Resolver;
  /** Our host name: the authserv-id of the Authentication-Results we write (RFC 8601 §2.5). */
  authservId: string;
  logger: Logger;
  /**
   * Upper bound for one whole verification, in ms (default 30 s). Each DNS query has its own timeout,
   * but a message with many signatures makes many queries; past this the verdict is temperror.
   */
  deadlineMs?: number;
}

export function createSenderVerifier(options: SenderVerifierOptions): SenderVerifier {
  const { resolver, authservId, logger } = options;
  const deadlineMs = options.deadlineMs ?? 30_000;

  return {
    async verify(raw, ctx) {
      try {
        const result = await withDeadline(
          authenticate(raw, {
            ip: ctx.ip,
            helo: ctx.helo,
            sender: ctx.mailFrom,
            mta: authservId,
            resolver,
            // The envelope and the connection are ours to know; Received lines are the sender's word.
            trustReceived: false,
            // BIMI would fetch logos and certificates over HTTPS for every message: not our job.
            disableBimi: true,
            // RFC 8301 §3.1: rsa-sha1 signatures must not be considered valid.
            rejectRsaSha1: true,
          }),
          deadlineMs,
        );
        const authentication = toAuthentication(result);
        const header = authResultsField(result.headers) ?? fallbackHeader(authservId, 'none');
        return { authentication, authResultsHeader: header };
      } catch (err) {
        logger.warn({ err, ip: ctx.ip }, 'sender verification failed, recording temperror');
        return {
          authentication: temperrorVerdict(null),
          authResultsHeader: fallbackHeader(authservId, 'temperror'),
        };
      }
    },
  };
}

function fallbackHeader(authservId: string, status: 'none' | 'temperror'): string {
  if (status === 'none') return `Authentication-Results: ${authservId}; none`;
  return `Authentication-Results: ${authservId};\r\n spf=temperror;\r\n dkim=temperror;\r\n dmarc=temperror`;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sender verification took longer than ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
