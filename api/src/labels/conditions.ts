/**
 * Labels in SQL (docs/LABELS.md): what the message and conversation lists select and filter by. A
 * user label is a row of message_labels / conversation_labels; a system label is a condition on the
 * message, the same one for the `labels` a message shows, the `?label=` filter and the counts of
 * GET …/labels, so the three cannot disagree:
 *
 *   unread   inbound and read_at IS NULL (`?unread=true` asks about read_at alone, so it also lists
 *            the agent's own sent mail, which nobody marks read)
 *   sent     direction = 'outbound' (released mail: held, rejected and blocked mail is in no mailbox)
 *   trash    deleted_at is set: the message is in the trash (docs/RETENTION.md)
 *   held     in no mailbox (messages/visibility.ts): never shown, and a filter by it is refused
 *
 * unread and sent are of the mailbox proper, trash of the trash (visibility.ts, `MailboxView`): a
 * listing by `?label=trash` reads the trash, and a conversation has a system label when one of the
 * messages shown in that place has it.
 */
import { SYSTEM_LABELS, type SystemLabel } from '@e2a/sdk/wire';
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { AppError } from '../errors.js';
import { inMailbox, type MailboxView } from '../messages/visibility.js';

/** The system labels a message or conversation can show: all but `held`. */
export const SHOWN_SYSTEM_LABELS = SYSTEM_LABELS.filter((l): l is Exclude<SystemLabel, 'held'> => l !== 'held');
export type ShownSystemLabel = (typeof SHOWN_SYSTEM_LABELS)[number];

const ref = (table: string, column: string) => sql.ref(`${table}.${column}`);

/** The condition for a system label on the message row `table`. */
export function systemCondition(label: ShownSystemLabel, table: string): RawBuilder<boolean> {
  switch (label) {
    case 'unread':
      return sql<boolean>`(${ref(table, 'direction')} = 'inbound' AND ${ref(table, 'read_at')} IS NULL)`;
    case 'sent':
      return sql<boolean>`${ref(table, 'direction')} = 'outbound'`;
    case 'trash':
      return sql<boolean>`${ref(table, 'deleted_at')} IS NOT NULL`;
  }
}

/** The place a system label is of. */
export function placeOf(label: ShownSystemLabel): Exclude<MailboxView, 'any'> {
  return label === 'trash' ? 'trash' : 'mailbox';
}

/** The place a message listing reads: `?in=`, else the trash when `?label=` names it, else the mailbox. */
export function listingPlace(q: { in?: Exclude<MailboxView, 'any'> | undefined; label?: readonly string[] | undefined }): Exclude<MailboxView, 'any'> {
  return q.in ?? (q.label?.some((l) => l.toLowerCase() === 'trash') ? 'trash' : 'mailbox');
}

/** `?label=` split into system and user labels; `held` is refused with where held mail is read instead. */
export function parseLabelFilter(names: readonly string[]): { system: ShownSystemLabel[]; user: string[] } {
  const system: ShownSystemLabel[] = [];
  const user: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === 'held') {
      throw new AppError(
        'validation_error',
        'query.label: held mail is in no mailbox (docs/LABELS.md); account keys read it with GET /v1/reviews?status=pending, and the sender follows it through its email.review_* events',
        [{ path: 'query.label', message: 'held is not shown in a mailbox' }],
      );
    }
    if ((SHOWN_SYSTEM_LABELS as readonly string[]).includes(lower)) system.push(lower as ShownSystemLabel);
    else user.push(lower);
  }
  return { system, user };
}

/** user_labels (jsonb array of names, case-insensitive order) and one boolean per system label: what `labelsOf` reads. */
export interface LabelColumns {
  user_labels: string[];
  is_unread: boolean;
  is_sent: boolean;
  is_trash: boolean;
}

/**
 * The labels of the message row `table` as LabelColumns: the user labels in one probe of
 * message_labels' primary key, the system labels from the row itself.
 */
export function messageLabelColumns(table = 'm') {
  return [
    sql<string[]>`(SELECT coalesce(jsonb_agg(l.name ORDER BY lower(l.name)), '[]'::jsonb)
      FROM message_labels ml JOIN labels l ON l.id = ml.label_id WHERE ml.message_id = ${ref(table, 'id')})`.as('user_labels'),
    systemCondition('unread', table).as('is_unread'),
    systemCondition('sent', table).as('is_sent'),
    systemCondition('trash', table).as('is_trash'),
  ] as const;
}

/** The condition for `?label=…` on the message row `table` of `agentId`'s mailbox: every label given. */
export function messageHasLabels(agentId: string, names: readonly string[], table = 'm'): Expression<SqlBool> {
  const { system, user } = parseLabelFilter(names);
  const parts = [
    ...system.map((label) => systemCondition(label, table)),
    ...user.map(
      (key) => sql<SqlBool>`${ref(table, 'id')} IN (SELECT ml.message_id FROM message_labels ml
        WHERE ml.label_id = (SELECT id FROM labels WHERE agent_id = ${agentId} AND lower(name) = ${key}))`,
    ),
  ];
  return parts.length === 0 ? sql<SqlBool>`true` : sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

/**
 * Whether a message `agentId`'s mailbox shows in the conversation row `table` has the system label
 * (messages_conversation serves the probe). `table` must not be `m`, the messages' alias here.
 */
function conversationHasSystem(label: ShownSystemLabel, agentId: string, now: Date, table: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = ${ref(table, 'id')}
    AND ${inMailbox(agentId, now, 'm', placeOf(label))} AND ${systemCondition(label, 'm')})`;
}

/** The labels of the conversation row `table` as LabelColumns: its own, and those its messages give it. */
export function conversationLabelColumns(agentId: string, now: Date, table = 'conversations') {
  return [
    sql<string[]>`(SELECT coalesce(jsonb_agg(l.name ORDER BY lower(l.name)), '[]'::jsonb)
      FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE cl.conversation_id = ${ref(table, 'id')})`.as('user_labels'),
    conversationHasSystem('unread', agentId, now, table).as('is_unread'),
    conversationHasSystem('sent', agentId, now, table).as('is_sent'),
    conversationHasSystem('trash', agentId, now, table).as('is_trash'),
  ] as const;
}

/** The condition for `?label=…` on the conversation row `table`: every label given. */
export function conversationHasLabels(agentId: string, names: readonly string[], now: Date, table = 'conversations'): Expression<SqlBool> {
  const { system, user } = parseLabelFilter(names);
  const parts = [
    ...system.map((label) => conversationHasSystem(label, agentId, now, table)),
    ...user.map(
      (key) => sql<SqlBool>`${ref(table, 'id')} IN (SELECT cl.conversation_id FROM conversation_labels cl
        WHERE cl.label_id = (SELECT id FROM labels WHERE agent_id = ${agentId} AND lower(name) = ${key}))`,
    ),
  ];
  return parts.length === 0 ? sql<SqlBool>`true` : sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

/** A message's or conversation's `labels`: the system labels it has, in SYSTEM_LABELS order, then its user labels. */
export function labelsOf(row: LabelColumns): string[] {
  const system = { unread: row.is_unread, sent: row.is_sent, trash: row.is_trash };
  return [...SHOWN_SYSTEM_LABELS.filter((l) => system[l]), ...row.user_labels];
}
