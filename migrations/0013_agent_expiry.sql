-- Ephemeral inboxes (docs/EPHEMERAL.md). An agent with expires_at stops receiving mail and its
-- agent keys stop working at that instant (checked where each is used); the agent-expiry worker
-- then emits agent.expired and deletes it as DELETE /v1/agents/{address} does. NULL: no expiry.
ALTER TABLE agents ADD COLUMN expires_at timestamptz;
-- When agent.expiring was emitted for the current expires_at (extending clears it, so a new notice
-- is due before the new expiry).
ALTER TABLE agents ADD COLUMN expiring_notified_at timestamptz;

-- The worker's scan: agents that expire, soonest first; agents without expiry are not in it.
CREATE INDEX agents_expiry ON agents (expires_at) WHERE expires_at IS NOT NULL;

-- Per-message expiry (sends between agents of this gateway): a recipient's copy still unread at
-- expires_at leaves its mailbox (messages/visibility.ts). NULL: the copy never expires.
ALTER TABLE messages ADD COLUMN expires_at timestamptz;
