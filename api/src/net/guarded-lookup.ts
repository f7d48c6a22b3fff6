/**
 * The SSRF guard at dial time. Node's http(s) client asks `lookup` for the address it is about to
 * connect to; this lookup resolves the name once, refuses it if any answer is a forbidden address,
 * and hands back exactly the answers it checked. So the checked address IS the dialled address,
 * and a name that answers public first and private later (DNS rebinding) is caught on the attempt
 * where it answers private. Literal IP hosts never reach `lookup`; http-poster.ts checks those.
 */
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { TargetPolicy } from './address-policy.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS is the outside world: tests inject a resolver that answers from a script. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemHostResolver: HostResolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Raised (as the socket error) when a target is refused; `code` lets callers tell it apart. The
 * message is shown to the tenant (test endpoint, delivery history), so it never holds the address
 * the name resolved to, nor its range: that would let anyone with an account map the names and
 * addresses of the operator's internal network through the gateway's resolver. The operator's log
 * may use `address` and `range`.
 */
export class ForbiddenTargetError extends Error {
  override name = 'ForbiddenTargetError';
  readonly code = 'E2A_FORBIDDEN_TARGET';
  constructor(
    message: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(message);
  }
}

/** The one text for a name with no public address, whether it resolves to a private one or not at all. */
export function noPublicAddress(host: string): string {
  return `refused to connect to ${host}: it does not resolve to a public address, and webhook targets must be public (webhooks.allow_private_targets is off)`;
}

export function forbiddenAddress(host: string, address: string, range: string): ForbiddenTargetError {
  return new ForbiddenTargetError(noPublicAddress(host), address, range);
}

export function createGuardedLookup(resolve: HostResolver, policy: TargetPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string } | number, callback: (...args: unknown[]) => void) => {
    const opts = typeof options === 'object' && options !== null ? options : {};
    resolve(hostname)
      .then((answers) => {
        const wanted = opts.family === 4 || opts.family === 6 ? answers.filter((a) => a.family === opts.family) : answers;
        if (wanted.length === 0) {
          const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
          return callback(err);
        }
        if (!policy.allowPrivate) {
          // Refuse the name if ANY answer is forbidden: happy-eyeballs may try any of them.
          for (const a of wanted) {
            const verdict = policy.checkAddress(a.address);
            if (!verdict.allowed) return callback(forbiddenAddress(hostname, a.address, verdict.range));
          }
        }
        if (opts.all) return callback(null, wanted);
        return callback(null, wanted[0]!.address, wanted[0]!.family);
      })
      .catch((err: unknown) => callback(err));
  }) as LookupFunction;
}
