/**
 * Idempotency-Key for create endpoints (the pattern of Stripe's API, and the IETF draft
 * "The Idempotency-Key HTTP Header Field"). Per user and key, in idempotency_keys:
 *
 *   first request            → runs, and its status and body are stored
 *   same key, same request   → the stored status and body, unchanged (nothing runs again)
 *   same key, other request  → 422 idempotency_mismatch
 *   same key while running   → 409 idempotency_in_flight
 *
 * Keys expire 24 h after first use; an expired key is simply taken over by the next request. A
 * request that throws (a validation error, a crash) releases its key, so it can be retried. A key
 * left in flight by a process that died is taken over after `inFlightTimeoutMs`; the one unguarded
 * window is a process dying between committing its work and recording the response.
 *
 * Reusable: `run()` knows nothing about mail; any create route wraps its handler in it.
 */
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { AppError } from '../errors.js';
import { sha256Hex } from '../ids.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Longer than any request may run (`?wait=sent` is at most 120 s). */
export const IN_FLIGHT_TIMEOUT_MS = 5 * 60 * 1000;

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What an Idempotency-Key may be (also published in /v1/openapi.json). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header, checked: 1-255 visible ASCII characters. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | null {
  const value = headers['idempotency-key'];
  if (value === undefined) return null;
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) throw new AppError('validation_error', 'Idempotency-Key must be 1-255 visible ASCII characters, e.g. a UUID');
  return key;
}

/** Key order must not matter: `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export function requestFingerprint(request: unknown): string {
  return sha256Hex(JSON.stringify(canonical(request)));
}

export class Idempotency {
  constructor(private readonly deps: { db: Database; clock: Clock; ttlMs?: number; inFlightTimeoutMs?: number }) {}

  async run(input: { userId: string; key: string | null; request: unknown }, work: () => Promise<StoredResponse>): Promise<StoredResponse> {
    if (input.key === null) return work();
    const { db, clock } = this.deps;
    const hash = requestFingerprint(input.request);
    const now = clock.now();
    const expired = new Date(now.getTime() - (this.deps.ttlMs ?? IDEMPOTENCY_TTL_MS));
    const stale = new Date(now.getTime() - (this.deps.inFlightTimeoutMs ?? IN_FLIGHT_TIMEOUT_MS));
    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ user_id: input.userId, key: input.key, request_hash: hash, state: 'in_flight', response_status: null, response_body: null, created_at: now })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'key'])
          .doUpdateSet({ request_hash: hash, state: 'in_flight', response_status: null, response_body: null, created_at: now })
          .where((eb) =>
            eb.or([
              eb('idempotency_keys.created_at', '<', expired),
              eb.and([eb('idempotency_keys.state', '=', 'in_flight'), eb('idempotency_keys.created_at', '<', stale)]),
            ]),
          ),
      )
      .returning('key')
      .executeTakeFirst();

    if (!claimed) {
      const row = await db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', input.userId).where('key', '=', input.key).executeTakeFirst();
      if (!row) return this.run(input, work); // Released between our insert and this read: try again.
      if (row.request_hash !== hash) {
        throw new AppError('idempotency_mismatch', `Idempotency-Key ${input.key} was used for a different request in the last 24 h; use a new key for a new request`);
      }
      if (row.state === 'in_flight') {
        throw new AppError('idempotency_in_flight', `a request with Idempotency-Key ${input.key} is still being processed; retry after it completes`, undefined, { 'Retry-After': '1' });
      }
      return { status: row.response_status ?? 200, body: row.response_body };
    }

    let response: StoredResponse;
    try {
      response = await work();
    } catch (err) {
      await db.deleteFrom('idempotency_keys').where('user_id', '=', input.userId).where('key', '=', input.key).where('state', '=', 'in_flight').execute();
      throw err;
    }
    await db
      .updateTable('idempotency_keys')
      .set({ state: 'done', response_status: response.status, response_body: json(response.body) })
      .where('user_id', '=', input.userId)
      .where('key', '=', input.key)
      .execute();
    return response;
  }

  /** Drops expired keys; the outbound worker calls it now and then. */
  async purge(): Promise<number> {
    const expired = new Date(this.deps.clock.now().getTime() - (this.deps.ttlMs ?? IDEMPOTENCY_TTL_MS));
    const result = await sql`DELETE FROM idempotency_keys WHERE created_at < ${expired}`.execute(this.deps.db);
    return Number(result.numAffectedRows ?? 0);
  }
}
