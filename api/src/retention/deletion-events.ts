/**
 * The trash's events (docs/RETENTION.md): email.deleted when a message goes to the trash and when
 * it is purged, email.restored when it is taken back out. Ids are deterministic (events/outbox.ts):
 * the purge's on the message alone, the trash's and the restore's on the instant it was trashed
 * too, so a message trashed, restored and trashed again is told each time, and a sweep or request
 * that runs twice tells once.
 */
import type { DeletionStage, MessageEventData } from '@e2a/sdk/wire';
import { messageEvent, storedMessageFacts, type EventDraft } from '../events/outbox.js';
import { eventId } from '../ids.js';
import { notQuarantined } from '../messages/visibility.js';
import type { DeletionRow } from './repo.js';


export function deletionEvent(
  row: DeletionRow,
  deletion: DeletionStage,
  details: { deletedAt: Date; by?: 'api' | 'retention'; restorableUntil?: Date },
): EventDraft {
  const draft = messageEvent('email.deleted', storedMessageFacts(row, row.agent_address));
  const key = deletion === 'trashed' ? `${row.id}\ntrashed\n${details.deletedAt.toISOString()}` : `${row.id}\npurged`;
  const data: MessageEventData = {
    ...(draft.data as MessageEventData),
    deletion,
    ...(details.by ? { deleted_by: details.by } : {}),
    ...(details.restorableUntil ? { restorable_until: details.restorableUntil.toISOString() } : {}),
  };
  // Blocked and rejected mail that retention deletes stays account-level (messages/visibility.ts).
  return { id: eventId(key, 'email.deleted'), type: 'email.deleted', data, about: row.id, shown: notQuarantined(row) };
}

/**
 * email.restored: the message, trashed at `deletedAt`, is back in the mailbox. Keyed on that
 * instant as the trash's event is: one restore per stay in the trash, however often it is asked.
 */
export function restoredEvent(row: DeletionRow, deletedAt: Date): EventDraft {
  const draft = messageEvent('email.restored', storedMessageFacts(row, row.agent_address));
  // Seen by the agent exactly when its email.deleted was (messages/visibility.ts).
  return { ...draft, id: eventId(`${row.id}\nrestored\n${deletedAt.toISOString()}`, 'email.restored'), shown: notQuarantined(row) };
}
