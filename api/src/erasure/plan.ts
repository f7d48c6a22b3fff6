/**
 * What an erasure deletes, table by table, in what order (docs/DATA.md "Erasure scope"). Children
 * go before their parents, so every statement deletes a bounded batch and nothing waits on a
 * cascade of unknown size; each batch reports what it deleted, by table, for the erasure's report.
 *
 *   agent:   rate-limit counters keyed by its address or keys; webhook deliveries of its events; its
 *            events and the account-level events about it; review tokens and reviews of its mail;
 *            its messages (their blobs and attachments go with the last copy: migrations/0004); its
 *            conversations; contacts it asked for and contacts asked of it; list memberships; its
 *            card; idempotency records of its sends (before its messages: they name them); outbox
 *            captures of its mail; review notifications about it (system mail); its agent keys;
 *            every export archive of the account (they hold its mail); the agent.
 *   account: each of its agents as above, then rate-limit counters keyed by it, webhook deliveries,
 *            events, webhooks, lists, API keys, dashboard sessions and sign-in links, idempotency
 *            records, system mail, outbox captures, DKIM keys of its verified domains, domain
 *            claims, the claims key, exports, earlier erasure reports; the user.
 *
 * A table added later that references agents, messages, conversations or users by foreign key is
 * found in the catalog (`foreignChildren`): its rows are deleted in batches before an agent or user,
 * or counted before a batch of messages or conversations whose cascade takes them, so the report
 * names it too. Rows that name the scope without a foreign key (like rate_limits) need a step here;
 * erasure.test.ts looks in every table for anything left, so a forgotten one fails there.
 */
import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { accountEmail } from '../accounts/dashboard-sessions.js';
import type { Database } from '../db/database.js';
import { announceRevocation } from '../events/revocations.js';

export type Counts = Record<string, number>;

/** One bounded piece of work: what it deleted, by table (all zero: nothing left for this step). */
type Step = (tx: Database, limit: number) => Promise<Counts>;

/** The agent being erased (an agent erasure's, or one of an account erasure's agents). */
export interface AgentScope {
  id: string;
  address: string;
  userId: string;
}

/** Tables with a step of their own; anything else referencing the scope by foreign key is found in the catalog. */
const PLANNED = new Set([
  'rate_limits',
  'webhook_deliveries',
  'events',
  'review_tokens',
  'reviews',
  'messages',
  'message_blobs',
  'attachments',
  'conversations',
  'contacts',
  'list_members',
  'agent_cards',
  'idempotency_keys',
  'outbox',
  'api_keys',
  'account_export_chunks',
  'account_exports',
  'webhooks',
  'lists',
  'dashboard_sessions',
  'dashboard_sign_in_links',
  'system_mail',
  'dkim_keys',
  'domains',
  'account_claims_keys',
  'erasures',
  'agents',
  'users',
]);

interface ForeignKey {
  child: string;
  column: string;
  parent: string;
}

const catalogs = new WeakMap<Database, Promise<ForeignKey[]>>();

/**
 * Single-column foreign keys of the schema, read once per database handle (the schema changes only
 * by migration, at start), through the caller's transaction: PGlite has one connection, which the
 * transaction holds.
 */
function foreignKeys(db: Database, tx: Database): Promise<ForeignKey[]> {
  let found = catalogs.get(db);
  if (!found) {
    found = sql<ForeignKey>`
      SELECT cl.relname AS child, att.attname AS column, pcl.relname AS parent
        FROM pg_constraint c
        JOIN pg_class cl ON cl.oid = c.conrelid
        JOIN pg_class pcl ON pcl.oid = c.confrelid
        JOIN pg_namespace ns ON ns.oid = cl.relnamespace
        JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = c.conkey[1]
       WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND ns.nspname = current_schema()
       ORDER BY cl.relname, att.attname`
      .execute(tx)
      .then((r) => r.rows);
    catalogs.set(db, found);
    found.catch(() => catalogs.delete(db));
  }
  return found;
}

/** Tables not in the plan that reference `parent` by foreign key. */
async function foreignChildren(db: Database, tx: Database, parent: string): Promise<ForeignKey[]> {
  return (await foreignKeys(db, tx)).filter((fk) => fk.parent === parent && !PLANNED.has(fk.child));
}

/** Deletes up to `limit` rows of `table` matching `where`; how many it deleted. */
async function deleteSome(tx: Database, table: string, where: RawBuilder<unknown>, limit: number): Promise<number> {
  const t = sql.table(table);
  const r = await sql<{ n: number }>`
    WITH gone AS (DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE ${where} LIMIT ${limit})) RETURNING 1)
    SELECT count(*)::int AS n FROM gone`.execute(tx);
  return r.rows[0]?.n ?? 0;
}

const one = (table: string, where: () => RawBuilder<unknown>): Step => async (tx, limit) => ({ [table]: await deleteSome(tx, table, where(), limit) });

/** Rate-limit counters whose subject (the part after `<edge>:<rule>:`) is one of `subjects`. */
function rateLimits(subjects: (tx: Database) => Promise<string[]>): Step {
  return async (tx, limit) => {
    const list = await subjects(tx);
    if (list.length === 0) return { rate_limits: 0 };
    return { rate_limits: await deleteSome(tx, 'rate_limits', sql`substring(key from '^[a-z]+:[a-z_]+:(.*)$') = ANY(${list}::text[])`, limit) };
  };
}

/** Rows of tables found in the catalog that reference the row `id` of `parent`. */
function children(db: Database, parent: string, id: string): Step {
  return async (tx, limit) => {
    const counts: Counts = {};
    for (const fk of await foreignChildren(db, tx, parent)) {
      const n = await deleteSome(tx, fk.child, sql`${sql.ref(fk.column)} = ${id}`, limit);
      if (n > 0) return { [fk.child]: n };
      counts[fk.child] = 0;
    }
    return counts;
  };
}

/** How many rows of catalog-found tables reference these parent rows: a cascade is about to take them. */
async function countChildren(db: Database, tx: Database, parent: string, ids: string[]): Promise<Counts> {
  const counts: Counts = {};
  if (ids.length === 0) return counts;
  for (const fk of await foreignChildren(db, tx, parent)) {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(fk.child)} WHERE ${sql.ref(fk.column)} = ANY(${ids}::text[])`.execute(tx);
    const n = r.rows[0]?.n ?? 0;
    if (n > 0) counts[fk.child] = (counts[fk.child] ?? 0) + n;
  }
  return counts;
}

/**
 * A batch of messages, and the blobs and attachments that go with the last copy of each (the
 * messages_release_blobs trigger): counted as the difference before and after.
 */
function messages(db: Database, agentId: string): Step {
  return async (tx, limit) => {
    const batch = await tx.selectFrom('messages').select(['id', 'blob_id']).where('agent_id', '=', agentId).orderBy('id').limit(limit).execute();
    if (batch.length === 0) return { messages: 0 };
    const ids = batch.map((m) => m.id);
    const blobs = [...new Set(batch.map((m) => m.blob_id))];
    const attachmentsOf = async () =>
      new Map((await tx.selectFrom('attachments').select(['blob_id', (eb) => eb.fn.countAll<number>().as('n')]).where('blob_id', 'in', blobs).groupBy('blob_id').execute()).map((r) => [r.blob_id, Number(r.n)]));
    const attachments = await attachmentsOf();
    const cascaded = await countChildren(db, tx, 'messages', ids);
    await tx.deleteFrom('messages').where('id', 'in', ids).execute();
    const left = new Set((await tx.selectFrom('message_blobs').select('id').where('id', 'in', blobs).execute()).map((b) => b.id));
    const released = blobs.filter((b) => !left.has(b));
    return {
      ...cascaded,
      messages: ids.length,
      message_blobs: released.length,
      attachments: released.reduce((n, b) => n + (attachments.get(b) ?? 0), 0),
    };
  };
}

/** A batch of conversations (their messages are gone by now), with what cascades from them. */
function conversations(db: Database, agentId: string): Step {
  return async (tx, limit) => {
    const ids = (await tx.selectFrom('conversations').select('id').where('agent_id', '=', agentId).limit(limit).execute()).map((c) => c.id);
    if (ids.length === 0) return { conversations: 0 };
    const cascaded = await countChildren(db, tx, 'conversations', ids);
    await tx.deleteFrom('conversations').where('id', 'in', ids).execute();
    return { ...cascaded, conversations: ids.length };
  };
}

/** Keys deleted with a notice each, so listeners that authenticated with them close on every replica. */
function keys(where: () => RawBuilder<unknown>): Step {
  return async (tx, limit) => {
    const ids = (await sql<{ id: string }>`SELECT id FROM api_keys WHERE ${where()} LIMIT ${limit}`.execute(tx)).rows.map((r) => r.id);
    if (ids.length === 0) return { api_keys: 0 };
    await tx.deleteFrom('api_keys').where('id', 'in', ids).execute();
    for (const keyId of ids) await announceRevocation(tx, { kind: 'key', keyId });
    return { api_keys: ids.length };
  };
}

/** Export archives of the account, chunks first: any of them may hold the erased mail. */
function exportArchives(userId: string): Step[] {
  return [
    one('account_export_chunks', () => sql`export_id IN (SELECT id FROM account_exports WHERE user_id = ${userId})`),
    one('account_exports', () => sql`user_id = ${userId}`),
  ];
}

/** The steps that empty one agent's scope, before its row is deleted (`finishAgent`). */
export function agentSteps(db: Database, agent: AgentScope): Step[] {
  const { id, address, userId } = agent;
  const aboutAgent = () => sql`user_id = ${userId} AND agent_id IS NULL AND (data->>'agent_id' = ${id} OR data->>'agent_address' = ${address})`;
  // Rows written before migration 0021 carry no agent_id: their subject names the agent's address.
  const notificationsOf = () =>
    sql`user_id = ${userId} AND (agent_id = ${id} OR (agent_id IS NULL AND kind = 'review_requested' AND strpos(subject, ${address}) > 0))`;
  return [
    rateLimits(async (tx) => [address, ...(await tx.selectFrom('api_keys').select('id').where('agent_id', '=', id).execute()).map((k) => k.id)]),
    one('webhook_deliveries', () => sql`event_id IN (SELECT id FROM events WHERE agent_id = ${id})`),
    one('webhook_deliveries', () => sql`event_id IN (SELECT id FROM events WHERE ${aboutAgent()})`),
    one('events', () => sql`agent_id = ${id}`),
    one('events', aboutAgent),
    one('review_tokens', () => sql`review_id IN (SELECT id FROM reviews WHERE agent_id = ${id})`),
    one('reviews', () => sql`agent_id = ${id}`),
    // The stored answer of a send names the message it accepted (SendResult.id).
    one('idempotency_keys', () => sql`user_id = ${userId} AND response_body->>'id' IN (SELECT id FROM messages WHERE agent_id = ${id})`),
    messages(db, id),
    conversations(db, id),
    one('contacts', () => sql`agent_id = ${id}`),
    one('contacts', () => sql`peer_agent_id = ${id}`),
    one('list_members', () => sql`agent_id = ${id}`),
    one('agent_cards', () => sql`agent_id = ${id}`),
    one('outbox', () => sql`user_id = ${userId} AND agent_address = ${address}`),
    // Review notifications about its mail, and their captures in the outbox, before the mails themselves.
    one('outbox', () => sql`source = 'system_mail' AND source_id IN (SELECT id FROM system_mail WHERE ${notificationsOf()})`),
    one('system_mail', notificationsOf),
    keys(() => sql`agent_id = ${id}`),
    ...exportArchives(userId),
    children(db, 'agents', id),
  ];
}

/** The agent's row, last: listeners of it on every replica are told at commit. */
export async function finishAgent(tx: Database, agentId: string): Promise<Counts> {
  const gone = await tx.deleteFrom('agents').where('id', '=', agentId).executeTakeFirst();
  const n = Number(gone.numDeletedRows);
  if (n > 0) await announceRevocation(tx, { kind: 'agent', agentId });
  return { agents: n };
}

/** The sign-in mail limiter counts addresses by this digest (limits/http-limits.ts). */
function emailDigest(email: string): string {
  return createHash('sha256').update(accountEmail(email)).digest('base64url');
}

/** The steps that empty an account's own tables once its agents are gone (`finishAccount` after). */
export function accountSteps(db: Database, account: { userId: string; email: string; erasureId: string }): Step[] {
  const { userId, email, erasureId } = account;
  return [
    rateLimits(async (tx) => [
      userId,
      emailDigest(email),
      ...(await tx.selectFrom('api_keys').select('id').where('user_id', '=', userId).execute()).map((k) => k.id),
      ...(await tx.selectFrom('dashboard_sessions').select('id').where('user_id', '=', userId).execute()).map((s) => s.id),
    ]),
    one('webhook_deliveries', () => sql`webhook_id IN (SELECT id FROM webhooks WHERE user_id = ${userId})`),
    one('webhook_deliveries', () => sql`event_id IN (SELECT id FROM events WHERE user_id = ${userId})`),
    one('events', () => sql`user_id = ${userId}`),
    one('webhooks', () => sql`user_id = ${userId}`),
    one('review_tokens', () => sql`review_id IN (SELECT id FROM reviews WHERE user_id = ${userId})`),
    one('reviews', () => sql`user_id = ${userId}`),
    one('list_members', () => sql`list_id IN (SELECT id FROM lists WHERE user_id = ${userId})`),
    one('lists', () => sql`user_id = ${userId}`),
    keys(() => sql`user_id = ${userId}`),
    sessions(userId),
    one('dashboard_sign_in_links', () => sql`user_id = ${userId}`),
    one('idempotency_keys', () => sql`user_id = ${userId}`),
    one('system_mail', () => sql`user_id = ${userId}`),
    one('outbox', () => sql`user_id = ${userId}`),
    // A name is verified by one account at most (domains_verified_name), so the key of a domain this
    // account verified is its own; the shared domain's key is nobody's and stays.
    one('dkim_keys', () => sql`domain IN (SELECT name FROM domains WHERE user_id = ${userId} AND verified_at IS NOT NULL)`),
    one('domains', () => sql`user_id = ${userId}`),
    one('account_claims_keys', () => sql`user_id = ${userId}`),
    ...exportArchives(userId),
    one('erasures', () => sql`user_id = ${userId} AND id <> ${erasureId}`),
    children(db, 'users', userId),
  ];
}

/** Dashboard sessions, each announced like a key (a session's id stands in for a key id). */
function sessions(userId: string): Step {
  return async (tx, limit) => {
    const ids = (await tx.selectFrom('dashboard_sessions').select('id').where('user_id', '=', userId).limit(limit).execute()).map((s) => s.id);
    if (ids.length === 0) return { dashboard_sessions: 0 };
    await tx.deleteFrom('dashboard_sessions').where('id', 'in', ids).execute();
    for (const keyId of ids) await announceRevocation(tx, { kind: 'key', keyId });
    return { dashboard_sessions: ids.length };
  };
}

/** The user's row, last of all. */
export async function finishAccount(tx: Database, userId: string): Promise<Counts> {
  const gone = await tx.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
  return { users: Number(gone.numDeletedRows) };
}

/**
 * Runs the first step that still finds rows, once: one bounded batch. null when every step found
 * nothing (the scope's tables are empty and its row can go).
 */
export async function runFirstBusyStep(tx: Database, steps: Step[], limit: number): Promise<Counts | null> {
  for (const step of steps) {
    const counts = await step(tx, limit);
    if (Object.values(counts).some((n) => n > 0)) return counts;
  }
  return null;
}
