/**
 * The limiter port (DESIGN §9): consume some points from one or more budgets at once, allowed or not
 * with a retry-after. Counters live in PostgreSQL (or PGlite) so N replicas share one budget.
 *
 * Fixed windows, the model rate-limiter-flexible's PostgreSQL store uses: a key's window starts at
 * its first use and lasts `windowSeconds`; points consumed past the limit still count, so a client
 * that keeps hammering stays refused until its window ends. Written here rather than taken from
 * rate-limiter-flexible because its store issues one statement per key through its own pg client,
 * which would run outside kysely's PGlite session (the embedded database is one session, shared by
 * every query) and would cost a round trip per key: an inbound recipient checks three budgets, and
 * doing that in one statement kept the limiter's cost on the inbound path within its target
 * (docs/PERFORMANCE.md).
 */
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';

export interface LimitRule {
  /** What is being limited, reported when this rule refuses (e.g. `client_messages`). */
  name: string;
  /** The counter: the name plus whatever is counted, e.g. `smtp:client_messages:192.0.2.7`. */
  key: string;
  /** Points allowed per window. */
  limit: number;
  windowSeconds: number;
  /** Points this use costs (default 1). */
  cost?: number;
}

export type LimitDecision =
  /** `remaining` and `resetSeconds` are those of the rule closest to its limit. */
  | { allowed: true; remaining: number; resetSeconds: number }
  | { allowed: false; rule: string; limit: number; retryAfterSeconds: number };

export interface Limiter {
  /** Charges every rule; refused when any rule is over its limit. Rejects if the store is unreachable. */
  consume(rules: readonly LimitRule[]): Promise<LimitDecision>;
}

interface Counter {
  key: string;
  points: number;
  expires_at: Date | string;
}

export class DatabaseLimiter implements Limiter {
  /**
   * Keys known to be over their limit, and until when: a flood is refused from memory instead of a
   * statement per attempt. Per process, so another replica still counts its own first refusal.
   */
  private readonly refusing = new Map<string, { until: number; rule: string; limit: number }>();

  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  async consume(rules: readonly LimitRule[]): Promise<LimitDecision> {
    const now = this.deps.clock.now();
    const at = now.getTime();
    for (const rule of rules) {
      const known = this.refusing.get(rule.key);
      if (!known) continue;
      if (known.until > at) return { allowed: false, rule: known.rule, limit: known.limit, retryAfterSeconds: Math.ceil((known.until - at) / 1000) };
      this.refusing.delete(rule.key);
    }
    const merged = mergeByKey(rules);
    if (merged.length === 0) return { allowed: true, remaining: Number.MAX_SAFE_INTEGER, resetSeconds: 0 };
    const values = merged.map((r) => sql`(${r.key}::text, ${r.cost}::integer, ${new Date(at + r.windowSeconds * 1000)}::timestamptz)`);
    // One statement for every rule: a key whose window has ended starts a new one with this cost.
    const { rows } = await sql<Counter>`
      INSERT INTO rate_limits AS r (key, points, expires_at)
      VALUES ${sql.join(values)}
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN r.expires_at <= ${now}::timestamptz THEN excluded.points ELSE r.points + excluded.points END,
        expires_at = CASE WHEN r.expires_at <= ${now}::timestamptz THEN excluded.expires_at ELSE r.expires_at END
      RETURNING r.key, r.points, r.expires_at`.execute(this.deps.db);
    const byKey = new Map(rows.map((row) => [row.key, row]));
    let tightest: { remaining: number; resetSeconds: number } | null = null;
    // In the caller's order, so when several rules are over, the first named is the one reported.
    for (const rule of merged) {
      const row = byKey.get(rule.key)!;
      const expires = new Date(row.expires_at).getTime();
      const resetSeconds = Math.max(1, Math.ceil((expires - at) / 1000));
      if (row.points > rule.limit) {
        this.refusing.set(rule.key, { until: expires, rule: rule.name, limit: rule.limit });
        return { allowed: false, rule: rule.name, limit: rule.limit, retryAfterSeconds: resetSeconds };
      }
      const remaining = rule.limit - row.points;
      if (!tightest || remaining < tightest.remaining) tightest = { remaining, resetSeconds };
    }
    return { allowed: true, ...(tightest ?? { remaining: Number.MAX_SAFE_INTEGER, resetSeconds: 0 }) };
  }

  /** Drops windows that ended (they would be reset on next use anyway); returns how many. */
  async purge(): Promise<number> {
    const result = await this.deps.db.deleteFrom('rate_limits').where('expires_at', '<', this.deps.clock.now()).executeTakeFirst();
    const at = this.deps.clock.now().getTime();
    for (const [key, known] of this.refusing) if (known.until <= at) this.refusing.delete(key);
    return Number(result.numDeletedRows);
  }
}

/**
 * One row per key (a statement may not update a row twice); a key named twice costs both uses and
 * keeps the tighter limit. Rules with a limit of 0 are switched off and never reach the database.
 */
function mergeByKey(rules: readonly LimitRule[]): Array<Required<LimitRule>> {
  const byKey = new Map<string, Required<LimitRule>>();
  for (const rule of rules) {
    if (rule.limit <= 0) continue;
    const cost = rule.cost ?? 1;
    const seen = byKey.get(rule.key);
    if (!seen) byKey.set(rule.key, { ...rule, cost });
    else byKey.set(rule.key, { ...(seen.limit <= rule.limit ? seen : rule), cost: seen.cost + cost });
  }
  return [...byKey.values()];
}
