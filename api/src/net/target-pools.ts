/**
 * Keep-alive connections for webhook targets, without weakening the SSRF check (docs/WEBHOOKS.md,
 * "SSRF policy"). Every attempt still resolves and vets the target's name first
 * (guarded-lookup.ts); it is then sent on an undici Pool chosen by the origin (scheme, host as
 * written, port: so the Host header and TLS servername) AND the exact set of addresses just
 * vetted. A pool dials only those addresses (its lookup is pinned to them, never the resolver), so
 * an open socket is only ever reused for an attempt whose own check passed the address it is
 * connected to; a name that now answers differently gets another pool and a fresh connection, and
 * one that answers a forbidden address was refused before any pool was chosen.
 *
 * Bounded: at most MAX_POOLS pools (least recently used closed first), SOCKETS_PER_POOL sockets
 * each, idle sockets closed after KEEP_ALIVE_MS (or sooner if the receiver says so in Keep-Alive),
 * and a pool left with no socket and no request is dropped. HTTP/1.1 only (h2 is not offered), so
 * a response over the body cap is cut by closing its socket (http-poster.ts), not a stream.
 */
import { Pool } from 'undici';
import { pinnedLookup, type ResolvedAddress } from './guarded-lookup.js';

/** Distinct (origin, addresses) pools kept at once; a busy gateway's targets beyond it take turns. */
const MAX_POOLS = 256;
/** Enough for webhooks.concurrency's default (32) to one receiver; more queue in the pool. */
const SOCKETS_PER_POOL = 32;
/**
 * Idle sockets close after this, or sooner when the receiver announces `Keep-Alive: timeout=N`
 * (undici then keeps N − 2 s). Below the 5 s of Node's and Apache's defaults, so we usually close
 * first, and a POST is rarely written into a connection the receiver is closing.
 */
const KEEP_ALIVE_MS = 4000;

export interface TargetPoolsOptions {
  /** TCP (+ TLS) connect deadline; the poster's per-attempt deadline still covers the whole attempt. */
  connectTimeoutMs: number;
  /** Pools kept at once (default MAX_POOLS). */
  maxPools?: number;
}

export class TargetPools {
  readonly #pools = new Map<string, Pool>();
  #closed = false;

  constructor(private readonly options: TargetPoolsOptions) {}

  /**
   * The pool for `url` dialling only `addresses`, which the caller has just vetted for this attempt
   * (for a literal IP host: that IP, vetted by checkTargetUrl).
   */
  pool(url: URL, addresses: ResolvedAddress[]): Pool {
    if (this.#closed) throw new Error('webhook transport is closed: the gateway is stopping');
    const key = `${url.origin} ${addresses
      .map((a) => a.address)
      .sort()
      .join(' ')}`;
    const found = this.#pools.get(key);
    if (found) {
      // Map order is the LRU order: move it to the back.
      this.#pools.delete(key);
      this.#pools.set(key, found);
      return found;
    }
    const pool = new Pool(url.origin, {
      connections: SOCKETS_PER_POOL,
      pipelining: 1,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      connectTimeout: this.options.connectTimeoutMs,
      // The poster's one deadline covers connect, headers and body together.
      headersTimeout: 0,
      bodyTimeout: 0,
      allowH2: false,
      connect: { lookup: pinnedLookup(addresses) },
    });
    const dropIfUnused = () => {
      const s = pool.stats;
      if (this.#pools.get(key) === pool && s.connected === 0 && s.size === 0) {
        this.#pools.delete(key);
        void pool.close().catch(() => {});
      }
    };
    pool.on('disconnect', dropIfUnused).on('connectionError', dropIfUnused);
    this.#pools.set(key, pool);
    if (this.#pools.size > (this.options.maxPools ?? MAX_POOLS)) {
      const [oldestKey, oldest] = this.#pools.entries().next().value!;
      this.#pools.delete(oldestKey);
      // close() lets the evicted pool's requests in flight finish, then closes its sockets.
      void oldest.close().catch(() => {});
    }
    return pool;
  }

  /** Pools open now (for tests and metrics). */
  get size(): number {
    return this.#pools.size;
  }

  /** Closes every socket; attempts still in flight fail. Called when the gateway stops. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
