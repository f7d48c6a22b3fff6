/**
 * Planner statistics kept about as fresh as autovacuum keeps them: a table is analysed once more
 * than 50 rows plus 10% of it changed since the last ANALYZE (autovacuum_analyze_threshold and
 * autovacuum_analyze_scale_factor at their defaults), or when it never was.
 *
 * PGlite runs no autovacuum (it is one process, with no launcher), so without this its tables never
 * get statistics, and a plan that depends on how many rows match is a guess from defaults: a search
 * of a 100,000-message mailbox then read every row of it, 1.5 s (docs/PERFORMANCE.md, "Search"). On
 * PostgreSQL autovacuum has almost always done it already, and the check finds nothing to do.
 *
 * Checked at most once per `everyMs` per process, by whoever needs the statistics (search does,
 * before it plans); an ANALYZE in progress is shared by the callers that arrive meanwhile.
 */
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from './database.js';

export class FreshStatistics {
  private checkedAt = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: { db: Database; clock: Clock },
    private readonly tables: readonly string[],
    private readonly everyMs = 60_000,
  ) {}

  ensure(): Promise<void> {
    if (this.running) return this.running;
    const now = this.deps.clock.now().getTime();
    if (now - this.checkedAt < this.everyMs) return Promise.resolve();
    this.checkedAt = now;
    this.running = this.refresh().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async refresh(): Promise<void> {
    const { db } = this.deps;
    const stale = await sql<{ relname: string }>`
      SELECT c.relname FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.relname = ANY(${this.tables}::text[])
        AND (c.reltuples < 0 OR s.n_mod_since_analyze > 50 + 0.1 * c.reltuples)`.execute(db);
    for (const { relname } of stale.rows) await sql`ANALYZE ${sql.table(relname)}`.execute(db);
  }
}
