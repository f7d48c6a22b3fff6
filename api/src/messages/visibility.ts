/**
 * Who sees what of a message: the one rule (DESIGN §9 "Visibility"; docs/SECURITY.md, "Who sees
 * what"). Every lookup that takes a message id (REST reads, mark read, raw, attachments, reply and
 * forward sources, labelling, and through them the MCP tools) and every listing (messages, search
 * filters, conversations, label counts) ANDs in `inMailbox`; every event about a message is
 * addressed by `eventReachesAgent`, which is what REST /v1/events and the WebSocket feed an agent.
 *
 * A mailbox is what its agent sees, whoever asks. Which mailbox a key may open (tenant, agent scope)
 * is AgentsService.resolve's rule; `inMailbox` takes the agent it resolved. In the mailbox a message
 * shows only once it is the agent's to see:
 *
 *   inbound   delivered: not held for review, not rejected by a reviewer, not blocked by the gate
 *             (`messages.held`, the quarantine bit the inbound gate sets and only an approval clears);
 *   outbound  released to the outbound worker (queued, scheduled, sent, failed, bounced, or a
 *             scheduled one cancelled): not held for review, not rejected, not blocked.
 *
 * and, for inbound copies sent with a per-message expiry (docs/EPHEMERAL.md), only while it is
 * read or not yet past `expires_at`: an unread copy leaves the mailbox at that instant, judged by
 * the injected clock (`now`), whether anything has swept it or not.
 *
 * A message shown by these rules is in one of two places (`MailboxView`, docs/RETENTION.md): the
 * mailbox proper, or its trash once deleted (`deleted_at`) and until the purge. Listings, searches,
 * conversations and reply or forward sources read the mailbox; `?in=trash` reads the trash; a read
 * by id (the message, raw, an attachment, mark read) and restore see either, so a trashed message
 * can be looked at before it is restored. Held, rejected and blocked mail is in neither, trashed by
 * retention or not.
 *
 * Everything else answers exactly as a message that does not exist (404 `not_found`, "message {id}
 * not found"), so no answer tells quarantined mail from none. Account keys get the same mailbox:
 * they also drive agents (the MCP agent tools, a model handed an account key), and quarantined
 * mail is exactly what must not reach a model. People read held mail through the reviews API
 * (account keys only) and the reviewer's notification, never through a mailbox.
 *
 * The agent that sent held or blocked mail knows it exists (202 pending_review with an id, 403
 * blocked_by_policy): it learns the outcome from its own events (review requested, approved or
 * rejected, blocked, sent, failed), never by reading, replying to or forwarding the message.
 */
import type { EventType, MessageSummary } from '@e2a/sdk/wire';
import { sql, type Expression, type SqlBool } from 'kysely';

/** Statuses of mail no mailbox shows: held for review, rejected by a reviewer, blocked by a gate (either direction). */
export const HIDDEN_STATUSES = ['held', 'rejected', 'blocked'] as const satisfies ReadonlyArray<MessageSummary['status']>;

/**
 * The condition for "this row is a message of `agentId`'s mailbox that the mailbox shows". `table`
 * is the name the query gives `messages`. Both marks are checked: `held` is the inbound quarantine
 * bit and outbound mail never sets it, while the status covers both directions, so mail stays
 * hidden if either writer alone says so. Constants are literals, so the planner sees them in every
 * plan, generic or not (db/prepared-statements.ts).
 */
export function inMailbox(agentId: string, now: Date, table: 'm' | 'messages' = 'm', view: MailboxView = 'mailbox'): Expression<SqlBool> {
  return shown(sql`${sql.ref(`${table}.agent_id`)} = ${agentId}`, now, table, view);
}

/** Where in a mailbox a read looks: the mailbox proper, the trash, or either (reads by id). */
export type MailboxView = 'mailbox' | 'trash' | 'any';

/** The quarantine part of the rule for a row already read: whether a mailbox may show it at all. */
export function notQuarantined(row: { held: boolean; status: string }): boolean {
  return !row.held && !(HIDDEN_STATUSES as readonly string[]).includes(row.status);
}

/**
 * `inMailbox` over several mailboxes at once (GET /v1/search): a message of one of `agentIds` (the
 * agents the key may open, AgentsService's rule as a set, read by the caller) that its own agent's
 * mailbox shows. The same conditions, row by row.
 */
export function inMailboxes(agentIds: readonly string[], now: Date, table: 'm' | 'messages' = 'm', view: MailboxView = 'mailbox'): Expression<SqlBool> {
  return shown(sql`${sql.ref(`${table}.agent_id`)} = ANY(${agentIds}::text[])`, now, table, view);
}

/** `owner` (the row's agent is one whose mailbox is asked for) and the mailbox showing the row. */
function shown(owner: Expression<unknown>, now: Date, table: 'm' | 'messages', view: MailboxView): Expression<SqlBool> {
  const column = (name: string) => sql.ref(`${table}.${name}`);
  const hidden = sql.join(HIDDEN_STATUSES.map((s) => sql.lit(s)));
  const unexpired = sql<SqlBool>`(${column('expires_at')} IS NULL OR ${column('direction')} = 'outbound' OR ${column('read_at')} IS NOT NULL OR ${column('expires_at')} > ${now}::timestamptz)`;
  const place = view === 'mailbox' ? sql<SqlBool>` AND ${column('deleted_at')} IS NULL` : view === 'trash' ? sql<SqlBool>` AND ${column('deleted_at')} IS NOT NULL` : sql<SqlBool>``;
  return sql<SqlBool>`(${owner} AND ${column('held')} = false AND ${column('status')} NOT IN (${hidden}) AND ${unexpired}${place})`;
}

/**
 * Whether an event about a message goes on the agent's own feeds (events.agent_id set: REST with an
 * agent key, the WebSocket) or on the account's only (agent_id NULL: account keys, webhooks).
 *
 * Inbound: only mail the agent may see, i.e. delivered mail (email.received, and email.flagged,
 * which delivers). An inbound hold, its decision and a block are account-level: the subject and
 * sender of quarantined mail are themselves untrusted content. The email.received an approval emits
 * reaches the agent like any other, and so does email.labels_changed: only mail the mailbox shows
 * can be labelled (docs/LABELS.md). email.deleted (trashed or purged, docs/RETENTION.md) and
 * email.restored reach the agent when its mailbox showed the message (`shown`); retention also
 * trashes and purges blocked and rejected mail, and that event is account-level like the block
 * itself. Outbound: every
 * event, the agent sent the mail and waits for its outcome; their metadata is what the agent wrote
 * itself.
 */
export function eventReachesAgent(direction: 'inbound' | 'outbound', type: EventType, shown = true): boolean {
  return direction === 'outbound' || type === 'email.received' || type === 'email.flagged' || type === 'email.labels_changed' || ((type === 'email.deleted' || type === 'email.restored') && shown);
}
