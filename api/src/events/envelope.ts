/** The wire envelope of a stored event: the same on REST, webhooks and WebSocket (DESIGN §5). */
import type { Event, MessageEventData } from '@e2a/sdk/wire';
import type { EventRow } from './repo.js';

export function toWireEvent(row: Pick<EventRow, 'id' | 'type' | 'schema_version' | 'created_at' | 'data'>): Event {
  const data = row.data as unknown as Partial<MessageEventData>;
  return {
    id: row.id,
    type: row.type as Event['type'],
    schema_version: row.schema_version,
    created_at: new Date(row.created_at).toISOString(),
    // Events written before priorities existed (migration 0011) carry none: their mail was normal.
    // Agent and contact events (agent.*, contact.*) are about no message and have no priority.
    data: (!row.type.startsWith('email.') ? data : { ...data, priority: data.priority ?? 'normal' }) as Event['data'],
  } as Event;
}
