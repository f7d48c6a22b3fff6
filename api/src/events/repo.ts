/** SQL for reading events. The features that cause events write them through outbox.ts. */
import type { Database } from '../db/database.js';

export type EventRow = Awaited<ReturnType<EventsRepo['get']>> & {};

const COLUMNS = ['e.seq', 'e.id', 'e.user_id', 'e.agent_id', 'e.type', 'e.schema_version', 'e.data', 'e.created_at'] as const;

export class EventsRepo {
  constructor(private readonly db: Database) {}

  list(scope: { userId: string; agentId: string | null }, q: { limit: number; beforeSeq?: number | undefined; type?: string | undefined; agentAddress?: string | undefined; since?: string | undefined }) {
    let query = this.db.selectFrom('events as e').select(COLUMNS).where('e.user_id', '=', scope.userId);
    if (scope.agentId) query = query.where('e.agent_id', '=', scope.agentId);
    if (q.agentAddress) {
      const address = q.agentAddress.trim().toLowerCase();
      query = query.where('e.agent_id', 'in', (eb) => eb.selectFrom('agents').select('id').where('address', '=', address).where('user_id', '=', scope.userId));
    }
    if (q.type) query = query.where('e.type', '=', q.type);
    if (q.since) query = query.where('e.created_at', '>=', new Date(q.since));
    if (q.beforeSeq !== undefined) query = query.where('e.seq', '<', String(q.beforeSeq));
    return query.orderBy('e.seq', 'desc').limit(q.limit + 1).execute();
  }

  get(id: string) {
    return this.db.selectFrom('events as e').select(COLUMNS).where('e.id', '=', id).executeTakeFirst();
  }
}
