/**
 * SQL of search (docs/SEARCH.md): messages whose vector (migrations/0017, search-document.ts)
 * matches the query, in the mailboxes asked for as visibility.ts defines them, best first.
 *
 * A search ranks its newest RANK_WINDOW matches. Finding them is the cost, and the cheap way depends
 * on how common the words are:
 *
 *   rare   the GIN index names the matches; each one's row is read (to apply the mailbox rule and
 *          the filters), then the newest are kept. Cost: one row per match.
 *   common the mailbox is walked newest first and each row's vector tested, until RANK_WINDOW match.
 *          Cost: RANK_WINDOW / share rows, each with its vector (mostly out of line, TOAST), where
 *          the index would read every match: 45,000 rows for a word in 45% of a 100,000-message
 *          mailbox, 0.5 to 1 s on PostgreSQL.
 *
 * A probe tells them apart: the share of the newest PROBE_ROWS messages (after the rule and the
 * filters) that match. PostgreSQL's planner cannot be left to choose: it counts testing a vector as
 * one cheap operator, not a read. It plans the rest from statistics, which PGlite would never have
 * (it runs no autovacuum): FreshStatistics (db/fresh-statistics.ts) keeps them current. Then
 * only the window's vectors are ranked, and only the page's rows are read whole, with their agent's
 * address and sealed bodies for the snippets, so nothing but the page is joined or decrypted.
 */
import type { ListMessagesQuery } from '@e2a/sdk/wire';
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Principal } from '../accounts/principal.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { FreshStatistics } from '../db/fresh-statistics.js';
import { listingPlace, messageLabelColumns } from '../labels/conditions.js';
import { SUMMARY_COLUMNS, withListFilters } from './repo.js';
import type { SearchPosition } from './search-cursor.js';
import { HEADLINE_OPTIONS } from './snippet.js';
import { inMailbox, inMailboxes } from './visibility.js';

export interface SearchRequest {
  q: string;
  filters: Omit<ListMessagesQuery, 'limit' | 'cursor' | 'q'>;
  after: SearchPosition | null;
  limit: number;
}

/**
 * How many matches a search ranks: its newest this many (after the filters). Ranking reads each
 * match's vector, so a word in half of a 100,000-message mailbox cost a second to rank in full, and
 * finding the window costs up to about √(window × mailbox size) rows (below); past it
 * `since`/`until` or more words reach older mail.
 */
export const RANK_WINDOW = 300;

/** The probe: the newest this many messages are tested, and a query matching WALK_SHARE of them walks. */
export const PROBE_ROWS = 500;
/**
 * Walking costs RANK_WINDOW / share rows, the index one row per match (share × mailbox size). A
 * walked row cost about 7 µs on PostgreSQL, a match found by the index about 13 µs (its blob, then
 * its copy by messages_blob): they cross at share = √(RANK_WINDOW × 7 / (mailbox size × 13)), 4% for
 * 100,000 messages, about 50 ms either way there. A much larger mailbox crosses lower, and reads more
 * rows for a query just under this share.
 */
export const WALK_SHARE = 0.04;

/**
 * The words of `q` as a tsquery: web-search syntax, never a syntax error; 'simple' as the vectors
 * are. Immutable, so a plan made with the value folds it to a constant (see `planned`).
 */
const tsquery = (q: string) => sql`websearch_to_tsquery('simple', ${q})`;

export class SearchRepo {
  /** The probe, the index path and the ranking are planned from these tables' statistics. */
  private readonly statistics: FreshStatistics;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.statistics = new FreshStatistics({ db, clock }, ['messages', 'message_blobs']);
  }

  /** One agent's mailbox (the agent AgentsService.resolve gave); its trash with `in: 'trash'`, as the list. */
  mailbox(agentId: string, request: SearchRequest) {
    return this.planned((db) => this.search(db, inMailbox(agentId, this.clock.now(), 'm', listingPlace(request.filters)), request, agentId));
  }

  /**
   * Every mailbox `principal` may open, AgentsService's rule as a set: its account's agents that
   * have not expired; an agent key's own agent only.
   */
  async mailboxes(principal: Principal, request: SearchRequest) {
    const now = this.clock.now();
    let agents = this.db
      .selectFrom('agents as a')
      .select('a.id')
      .where('a.user_id', '=', principal.userId)
      .where((eb) => eb.or([eb('a.expires_at', 'is', null), eb('a.expires_at', '>', now)]));
    if (principal.scope !== 'account') agents = agents.where('a.id', '=', principal.agentId ?? '');
    const ids = (await agents.execute()).map((a) => a.id);
    if (ids.length === 0) return [];
    return this.planned((db) => this.search(db, inMailboxes(ids, now, 'm', listingPlace(request.filters)), request, null));
  }

  /** EXPLAIN ANALYZE of what a mailbox search runs after its probe, and which way it took (bench/search.ts). */
  explainMailbox(agentId: string, request: SearchRequest): Promise<{ walk: boolean; plan: string[] }> {
    const visible = inMailbox(agentId, this.clock.now(), 'm', listingPlace(request.filters));
    return this.planned(async (db) => {
      const walk = await this.common(db, visible, request, agentId);
      const statement = this.page(db, visible, request, agentId, walk).compile();
      const result = await db.executeQuery<Record<string, string>>({ ...statement, sql: `EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}` });
      return { walk, plan: result.rows.map((r) => Object.values(r)[0]!) };
    });
  }

  /** ts_headline of each document for `q`, in order (snippet.ts renders them). */
  async headlines(q: string, documents: string[]): Promise<string[]> {
    if (documents.length === 0) return [];
    const result = await sql<{ headline: string }>`
      SELECT ts_headline('simple', d.doc, ${tsquery(q)}, ${HEADLINE_OPTIONS}) AS headline
      FROM unnest(${documents}::text[]) WITH ORDINALITY AS d(doc, n)
      ORDER BY d.n`.execute(this.db);
    return result.rows.map((r) => r.headline);
  }

  /**
   * Runs a search's statements in one transaction under plan_cache_mode = force_custom_plan: each is
   * planned with its values (the query folded to a constant, the mailbox's own id), where a prepared
   * statement's cached generic plan (db/prepared-statements.ts) would guess every query alike. The
   * parsed statements stay cached.
   *
   * And without hash or merge joins: on the index path the matches are few (under WALK_SHARE of
   * the mailbox), and each is best found from its blob by messages_blob. From about 5% of a
   * mailbox on, the planner preferred hashing the matching blobs and reading the whole mailbox to
   * join them: 220 ms of a 350 ms search of 100,000 messages on PGlite. Every other join of a
   * search is a handful of rows looked up by key. And in one process: a search reads a few thousand
   * rows at most, and starting parallel workers took 90 ms of a 106 ms walk on a busy machine.
   */
  private async planned<T>(run: (db: Database) => Promise<T>): Promise<T> {
    await this.statistics.ensure();
    return this.db.transaction().execute(async (tx) => {
      // SET LOCAL, all at once (set_config's `true`): one statement, on either engine.
      await sql`SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('enable_hashjoin', 'off', true),
                       set_config('enable_mergejoin', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`.execute(tx);
      return run(tx);
    });
  }

  private async search(db: Database, visible: Expression<SqlBool>, request: SearchRequest, labelsOf: string | null) {
    const walk = await this.common(db, visible, request, labelsOf);
    return this.page(db, visible, request, labelsOf, walk).execute();
  }

  /** The rows a search reads: the mailbox rule and the list filters. */
  private rows(db: Database, visible: Expression<SqlBool>, request: SearchRequest, labelsOf: string | null) {
    return withListFilters(db.selectFrom('messages as m').where(visible), request.filters, labelsOf);
  }

  /** The probe: whether the query matches WALK_SHARE of the newest PROBE_ROWS messages it searches. */
  private async common(db: Database, visible: Expression<SqlBool>, request: SearchRequest, labelsOf: string | null): Promise<boolean> {
    const newest = this.rows(db, visible, request, labelsOf).select(sql<string>`(SELECT b.search FROM message_blobs b WHERE b.id = m.blob_id)`.as('search')).orderBy('m.id', 'desc').limit(PROBE_ROWS);
    const probe = await db
      .selectFrom(newest.as('p'))
      .select([sql<string>`count(*)`.as('rows'), sql<string>`count(*) FILTER (WHERE p.search @@ ${tsquery(request.q)})`.as('hits')])
      .executeTakeFirstOrThrow();
    // Fewer rows than the probe: the whole search is that small, either way is cheap.
    return Number(probe.rows) === PROBE_ROWS && Number(probe.hits) >= WALK_SHARE * PROBE_ROWS;
  }

  // The vector is the blob's (migrations/0017): one per message, shared by its copies. A walk tests
  // each message's blob; the index path finds the matching blobs by their GIN index, then the copies.
  private page(db: Database, visible: Expression<SqlBool>, request: SearchRequest, labelsOf: string | null, walk: boolean) {
    const query = tsquery(request.q);
    // The newest RANK_WINDOW matches, ids only. Walking: the test is written so that no index can
    // take it (`IS TRUE`), and the plan reads the mailbox newest first. By the index: every match,
    // materialised, then the newest.
    const newest = walk
      ? this.rows(db, visible, request, labelsOf).select('m.id').where(sql<SqlBool>`EXISTS (SELECT 1 FROM message_blobs b WHERE b.id = m.blob_id AND (b.search @@ ${query}) IS TRUE)`).orderBy('m.id', 'desc').limit(RANK_WINDOW)
      : db
          .with((cte) => cte('matches').materialized(), () => this.rows(db, visible, request, labelsOf).select('m.id').where(sql<SqlBool>`m.blob_id IN (SELECT b.id FROM message_blobs b WHERE b.search @@ ${query})`))
          .selectFrom('matches')
          .select('matches.id')
          .orderBy('matches.id', 'desc')
          .limit(RANK_WINDOW);
    // Normalisation 1 divides by 1 + log(length): a long body saying a word often does not outrank a short one about it.
    const rank = sql<number>`ts_rank(sv.search, ${query}, 1)::float8`;
    let ranked = db
      .selectFrom(newest.as('c'))
      .innerJoin('messages as s', 's.id', 'c.id')
      .innerJoin('message_blobs as sv', 'sv.id', 's.blob_id')
      .select(['s.id', rank.as('rank')]);
    if (request.after) ranked = ranked.where(sql<SqlBool>`(${rank}, s.id) < (${String(request.after.rank)}::float8, ${request.after.id})`);
    const top = ranked.orderBy(sql`rank`, 'desc').orderBy('s.id', 'desc').limit(request.limit + 1);
    return db
      .selectFrom(top.as('r'))
      .innerJoin('messages as m', 'm.id', 'r.id')
      .innerJoin('agents as a', 'a.id', 'm.agent_id')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select(SUMMARY_COLUMNS)
      .select(messageLabelColumns('m'))
      .select(['r.rank', 'a.address as agent_address', 'b.text_body', 'b.html_body'])
      .select(sql<Array<string | null>>`(SELECT coalesce(jsonb_agg(x.filename ORDER BY x.idx), '[]'::jsonb) FROM attachments x WHERE x.blob_id = m.blob_id)`.as('filenames'))
      .orderBy('r.rank', 'desc')
      .orderBy('m.id', 'desc');
  }
}
