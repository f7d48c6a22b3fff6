/**
 * How the mail paths ask for a human: the outbound service (held sends) and the inbound service
 * (held deliveries) call `hold` inside their own transaction; the reviews feature implements it.
 */
import type { Protection } from '@e2a/sdk/wire';
import type { Database } from '../db/database.js';

export interface HoldRequest {
  userId: string;
  agentId: string;
  agentAddress: string;
  messageId: string;
  direction: 'inbound' | 'outbound';
  /** Why the gate held it, for the reviewer: "recipient not on the allowlist", "possible prompt injection: …". */
  reasons: string[];
  holds: Protection['holds'];
  /** Reviewer addresses (empty: the account owner). */
  notify: string[];
  /** For the event payload and the reviewer mail. */
  summary: { from: string | null; to: string[]; subject: string | null; conversationId: string };
}

export interface ReviewHolds {
  hold(tx: Database, request: HoldRequest): Promise<{ reviewId: string; expiresAt: Date }>;
}
