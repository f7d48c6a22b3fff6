/**
 * The SSRF guard at dial time. Every attempt (and every redirect hop) resolves the target's name
 * once and refuses it if any answer is a forbidden address (vetHost); the connection is then made
 * through a lookup pinned to exactly the answers checked (pinnedLookup), by a keep-alive pool that
 * is chosen by those answers and dials nothing else (target-pools.ts). So the checked address IS
 * the dialled address, a socket is reused only when this attempt's check passed its address, and a
 * name that answers public first and private later (DNS rebinding) is caught on the attempt where
 * it answers private. Literal IP hosts are never resolved; checkTargetUrl checks those.
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

/**
 * The name's addresses, each one allowed by `policy`, or a rejection: ForbiddenTargetError if ANY
 * answer is forbidden (happy eyeballs may try any of them), ENOTFOUND if there is none.
 */
export async function vetHost(resolve: HostResolver, policy: TargetPolicy, hostname: string): Promise<ResolvedAddress[]> {
  const answers = await resolve(hostname);
  if (answers.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  if (!policy.allowPrivate) {
    for (const a of answers) {
      const verdict = policy.checkAddress(a.address);
      if (!verdict.allowed) throw forbiddenAddress(hostname, a.address, verdict.range);
    }
  }
  return answers;
}

/**
 * A lookup for node:net that answers with `addresses` only, whatever name it is asked: it never
 * asks the resolver, so a socket made with it goes to an address vetHost passed and to no other.
 * With `all` (node's happy eyeballs) it hands over every one of them, as the resolver answered.
 */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string } | number, callback: (...args: unknown[]) => void) => {
    const opts = typeof options === 'object' && options !== null ? options : {};
    const wanted = opts.family === 4 || opts.family === 6 ? addresses.filter((a) => a.family === opts.family) : addresses;
    if (wanted.length === 0) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
    if (opts.all) return callback(null, wanted);
    callback(null, wanted[0]!.address, wanted[0]!.family);
  }) as LookupFunction;
}
