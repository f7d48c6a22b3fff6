/**
 * "A credential stopped being valid": an API key was revoked, or an agent (with its agent keys and
 * its mailbox) was deleted or expired (docs/EPHEMERAL.md; `expired` only changes the close reason). Connections that outlive a request (WebSocket listeners) authenticated
 * once, so every replica must hear of it: the writer announces it with pg_notify in the same
 * transaction (delivered at commit, not at all on rollback), and each process's event bus hands it
 * to its listeners. Notices can be lost (a reconnect of the LISTEN connection), so the realtime
 * server also re-checks the credentials of its open connections periodically; the notice only makes
 * the close prompt (DESIGN §7: nothing that matters lives only in one process's memory).
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.js';

export const REVOCATIONS_CHANNEL = 'e2a_revocations';

/**
 * `erasing`: the agent (or its account) is scheduled for deletion and disabled for the grace period
 * (docs/DATA.md); `restored`: that deletion was cancelled, so the agent may be listened to again.
 */
export type Revocation = { kind: 'key'; keyId: string } | { kind: 'agent'; agentId: string; expired?: true; erasing?: true } | { kind: 'restored'; agentId: string };

/** What the event bus offers for revocations; the realtime server subscribes. */
export interface RevocationFeed {
  onRevocation(listener: (revocation: Revocation) => void): () => void;
}

/** Queues the notice in `db`'s transaction: call it with the transaction that revokes or deletes. */
export async function announceRevocation(db: Database, revocation: Revocation): Promise<void> {
  const payload =
    revocation.kind === 'key'
      ? `key ${revocation.keyId}`
      : revocation.kind === 'restored'
        ? `restored ${revocation.agentId}`
        : `agent ${revocation.agentId}${revocation.expired ? ' expired' : revocation.erasing ? ' erasing' : ''}`;
  await sql`SELECT pg_notify(${REVOCATIONS_CHANNEL}, ${payload})`.execute(db);
}

export function parseRevocation(payload: string | undefined): Revocation | null {
  const [kind, id, detail] = (payload ?? '').split(' ');
  if (!id) return null;
  if (kind === 'key') return { kind, keyId: id };
  if (kind === 'agent') return detail === 'expired' ? { kind, agentId: id, expired: true } : detail === 'erasing' ? { kind, agentId: id, erasing: true } : { kind, agentId: id };
  if (kind === 'restored') return { kind, agentId: id };
  return null;
}
