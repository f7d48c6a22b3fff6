/** The wire envelope of a stored event: the same on REST, webhooks and WebSocket (DESIGN §5). */
import type { Event } from '@e2a/sdk/wire';
import type { EventRow } from './repo.js';

export function toWireEvent(row: Pick<EventRow, 'id' | 'type' | 'schema_version' | 'created_at' | 'data'>): Event {
  return {
    id: row.id,
    type: row.type as Event['type'],
    schema_version: row.schema_version,
    created_at: new Date(row.created_at).toISOString(),
    data: row.data as unknown as Event['data'],
  };
}
