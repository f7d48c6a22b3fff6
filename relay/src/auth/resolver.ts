/**
 * DNS for sender authentication. mailauth takes a resolver with the shape and the error semantics of
 * `dns.promises.resolve(name, rrtype)`: TXT answers are `string[][]`, MX answers are
 * `{exchange, priority}[]`, and failures are errors whose `code` is a c-ares code. mailauth reads
 * ENOTFOUND (NXDOMAIN) and ENODATA (NODATA) as "no record" and every other code (ETIMEOUT,
 * ESERVFAIL, ECONNREFUSED, …) as a temporary error, which becomes a `temperror` verdict.
 */
import { Resolver as DnsResolver } from 'node:dns/promises';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';

// mailauth's contract is `dns.promises.resolve`, whose answer type depends on rrtype.

export type Resolver = (name: string, rrtype: string) => Promise<any>;

/** An error shaped like the ones node:dns rejects with. */
export type DnsError = Error & { code: string; hostname?: string; syscall?: string };

export function dnsError(code: string, name: string, rrtype = 'query'): DnsError {
  // Without a stack: NXDOMAIN and NODATA are ordinary answers (every message asks for records that do
  // not exist, and a cached one is thrown again for every message), and a stack trace is most of
  // an Error's cost. The name, code and type say all there is to say.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let err: DnsError;
  try {
    err = new Error(`query${rrtype} ${code} ${name}`) as DnsError;
  } finally {
    Error.stackTraceLimit = limit;
  }
  err.code = code;
  err.hostname = name;
  err.syscall = `query${rrtype}`;
  return err;
}

/** Answers that are facts about the zone, not about our network: safe to cache (RFC 2308). */
const NEGATIVE_CODES = new Set(['ENOTFOUND', 'ENODATA']);

export interface DnsResolverOptions {
  /** Name servers as `ip`, `ip:port` or `[ipv6]:port`; empty means the system's resolvers. */
  servers: string[];
  /** Per-try timeout in milliseconds (c-ares `timeout`). */
  timeoutMs: number;
  /** Attempts per name server (c-ares `tries`). */
  tries: number;
}

/**
 * A resolver on node:dns with its own server list, so an operator (`E2A_DNS_SERVERS`) or a test can
 * point sender verification at a DNS of its choice without touching the process-wide resolver.
 */
export function createDnsResolver(options: DnsResolverOptions): Resolver {
  const dns = new DnsResolver({ timeout: options.timeoutMs, tries: options.tries });
  if (options.servers.length > 0) dns.setServers(options.servers);
  return (name, rrtype) => dns.resolve(name, rrtype);
}

/**
 * Rejects with an ETIMEOUT error when `resolver` has not answered within `ms`. c-ares retries per
 * server, so a dead server list can take timeout × tries × servers; this puts one bound on a
 * query whatever the resolver underneath does.
 */
export function withTimeout(resolver: Resolver, ms: number): Resolver {
  return (name, rrtype) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(dnsError('ETIMEOUT', name, rrtype)), ms);
      resolver(name, rrtype).then(
        (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
}

export interface CacheOptions {
  /** How long an answer (or an NXDOMAIN/NODATA) is reused. node:dns does not expose record TTLs. */
  ttlMs: number;
  /** Upper bound on cached names; the least recently used entry goes first. */
  maxEntries: number;
  clock?: Clock;
}

type CacheEntry =
  | { expires: number; answer: unknown }
  | { expires: number; errorCode: string };

/**
 * Caches positive answers and NXDOMAIN/NODATA for `ttlMs`, and shares one in-flight query between
 * concurrent callers. Timeouts and server failures are never cached: the next message must get a
 * fresh chance rather than a stale temperror.
 */
export function withCache(resolver: Resolver, options: CacheOptions): Resolver {
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, CacheEntry>();
  const inflight = new Map<string, Promise<unknown>>();

  const remember = (key: string, entry: CacheEntry): void => {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > options.maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  };

  return async (name, rrtype) => {
    const key = `${rrtype.toUpperCase()} ${name.toLowerCase().replace(/\.$/, '')}`;
    const now = clock.now().getTime();
    const hit = entries.get(key);
    if (hit && hit.expires > now) {
      // Refresh recency for LRU eviction.
      entries.delete(key);
      entries.set(key, hit);
      if ('errorCode' in hit) throw dnsError(hit.errorCode, name, rrtype);
      // A copy: mailauth must not be able to edit what the next message will read.
      return copyAnswer(hit.answer);
    }
    if (hit) entries.delete(key);

    let pending = inflight.get(key);
    if (!pending) {
      pending = resolver(name, rrtype).then(
        (answer: unknown) => {
          remember(key, { expires: clock.now().getTime() + options.ttlMs, answer });
          return answer;
        },
        (err: unknown) => {
          const code = (err as { code?: unknown } | null)?.code;
          if (typeof code === 'string' && NEGATIVE_CODES.has(code)) {
            remember(key, { expires: clock.now().getTime() + options.ttlMs, errorCode: code });
          }
          throw err;
        },
      );
      const settle = (): void => {
        inflight.delete(key);
      };
      pending.then(settle, settle);
      inflight.set(key, pending);
    }
    return copyAnswer(await pending);
  };
}

/**
 * A deep copy of a DNS answer: arrays of strings (A, AAAA, TXT chunks), arrays of arrays (TXT) or of
 * flat records (MX). Several times cheaper than structuredClone for these shapes, and it runs for
 * every lookup of every message.
 */
function copyAnswer<T>(answer: T): T {
  if (Array.isArray(answer)) return answer.map(copyAnswer) as T;
  if (answer !== null && typeof answer === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(answer)) copy[key] = copyAnswer(value);
    return copy as T;
  }
  return answer;
}
