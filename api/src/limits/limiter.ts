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
  /** `tightest`: the rule closest to its limit (null when no rule applied), for RateLimit headers. */
  | { allowed: true; tightest: Tightest | null }
  | { allowed: false; rule: string; limit: number; windowSeconds: number; retryAfterSeconds: number };

export type LimitRefusal = LimitDecision & { allowed: false };

export interface Tightest {
  rule: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
}

export interface Limiter {
  /** Charges every rule; refused when any rule is over its limit. Rejects if the store is unreachable. */
  consume(rules: readonly LimitRule[]): Promise<LimitDecision>;
  /** A refusal already known in this process, without charging or asking the store; else null. */
  refusedFromMemory(rules: readonly LimitRule[]): LimitRefusal | null;
}

interface Counter {
  key: string;
  points: number;
  expires_at: Date | string;
}

interface Waiting {
  rules: Array<Required<LimitRule>>;
  resolve(decision: LimitDecision): void;
  reject(err: unknown): void;
}

/** Uses charged in one statement at most (a flood larger than this takes several). */
const MAX_BATCH = 256;

export class DatabaseLimiter implements Limiter {
  /**
   * Keys known to be over their limit, and until when: a flood is refused from memory instead of a
   * statement per attempt. Per process, so another replica still counts its own first refusal.
   */
  private readonly refusing = new Map<string, { until: number; rule: string; limit: number; windowSeconds: number }>();
  /** Uses waiting for the statement in flight to finish; they go to the store together in the next. */
  private waiting: Waiting[] = [];
  private charging = false;

  constructor(private readonly deps: { db: Database; clock: Clock }) {}

  /**
   * Every use is charged in the store before it is decided, so N replicas share one exact budget.
   * Uses that arrive while a statement is in flight are charged together by the next one (group
   * commit): under load the limiter costs one statement per batch, not one per request, which is
   * what keeps it off the critical path of a database-bound send (docs/PERFORMANCE.md).
   */
  async consume(rules: readonly LimitRule[]): Promise<LimitDecision> {
    const known = this.refusedFromMemory(rules);
    if (known) return known;
    const merged = mergeByKey(rules);
    if (merged.length === 0) return { allowed: true, tightest: null };
    return new Promise<LimitDecision>((resolve, reject) => {
      this.waiting.push({ rules: merged, resolve, reject });
      if (!this.charging) void this.chargeWaiting();
    });
  }

  private async chargeWaiting(): Promise<void> {
    this.charging = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        try {
          const decisions = await this.charge(batch);
          batch.forEach((use, i) => use.resolve(decisions[i]!));
        } catch (err) {
          for (const use of batch) use.reject(err);
        }
      }
    } finally {
      this.charging = false;
    }
  }

  /** One statement for every rule of every use in `batch`; the decisions in the batch's order. */
  private async charge(batch: Waiting[]): Promise<LimitDecision[]> {
    const now = this.deps.clock.now();
    const at = now.getTime();
    const total = new Map<string, { cost: number; windowSeconds: number }>();
    for (const use of batch) {
      for (const rule of use.rules) {
        const seen = total.get(rule.key);
        total.set(rule.key, { cost: (seen?.cost ?? 0) + rule.cost, windowSeconds: seen?.windowSeconds ?? rule.windowSeconds });
      }
    }
    const values = [...total].map(([key, t]) => sql`(${key}::text, ${t.cost}::integer, ${new Date(at + t.windowSeconds * 1000)}::timestamptz)`);
    // A key whose window has ended starts a new one with this batch's cost.
    const { rows } = await sql<Counter>`
      INSERT INTO rate_limits AS r (key, points, expires_at)
      VALUES ${sql.join(values)}
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN r.expires_at <= ${now}::timestamptz THEN excluded.points ELSE r.points + excluded.points END,
        expires_at = CASE WHEN r.expires_at <= ${now}::timestamptz THEN excluded.expires_at ELSE r.expires_at END
      RETURNING r.key, r.points, r.expires_at`.execute(this.deps.db);
    // Each use sees the count as it stood after its own points: what the batch found, plus the
    // points of the uses before it in the batch.
    const counted = new Map(rows.map((row) => [row.key, { points: row.points - total.get(row.key)!.cost, expires: new Date(row.expires_at).getTime() }]));
    return batch.map((use) => {
      let tightest: Tightest | null = null;
      let refusal: LimitRefusal | null = null;
      for (const rule of use.rules) {
        const count = counted.get(rule.key)!;
        count.points += rule.cost;
        const resetSeconds = Math.max(1, Math.ceil((count.expires - at) / 1000));
        // In the caller's order, so when several rules are over, the first named is the one reported.
        if (refusal) continue;
        if (count.points > rule.limit) {
          this.refusing.set(rule.key, { until: count.expires, rule: rule.name, limit: rule.limit, windowSeconds: rule.windowSeconds });
          refusal = { allowed: false, rule: rule.name, limit: rule.limit, windowSeconds: rule.windowSeconds, retryAfterSeconds: resetSeconds };
          continue;
        }
        const remaining = rule.limit - count.points;
        if (!tightest || remaining < tightest.remaining) tightest = { rule: rule.name, limit: rule.limit, windowSeconds: rule.windowSeconds, remaining, resetSeconds };
      }
      return refusal ?? { allowed: true, tightest };
    });
  }

  /**
   * A refusal this process already knows of for any of `rules` (a key over its limit whose window
   * has not ended), without asking the database; null when none is known.
   */
  refusedFromMemory(rules: readonly LimitRule[]): LimitRefusal | null {
    const at = this.deps.clock.now().getTime();
    for (const rule of rules) {
      const known = this.refusing.get(rule.key);
      if (!known) continue;
      if (known.until > at) return { allowed: false, rule: known.rule, limit: known.limit, windowSeconds: known.windowSeconds, retryAfterSeconds: Math.ceil((known.until - at) / 1000) };
      this.refusing.delete(rule.key);
    }
    return null;
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
