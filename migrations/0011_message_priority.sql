-- Message priority (docs/PRIORITIES.md): urgent, normal or low. Inbound, the sender's claim read
-- from the Priority / Importance / X-Priority / X-MSMail-Priority headers (not authenticated);
-- outbound, what the agent asked for. Every message stored before this migration is 'normal'.
ALTER TABLE messages ADD COLUMN priority text NOT NULL DEFAULT 'normal'
  CONSTRAINT messages_priority_check CHECK (priority IN ('urgent', 'normal', 'low'));

-- GET /v1/agents/{address}/messages?priority=…: the agent's messages of one priority, newest first.
CREATE INDEX messages_agent_priority ON messages (agent_id, priority, id DESC);

-- The WebSocket backlog sends an agent's unacknowledged urgent events before the rest
-- (realtime/replay.ts); events carry the priority in data. The predicate is written exactly as the
-- replay query writes it, so the planner can use this index for it.
CREATE INDEX events_agent_unacked_urgent ON events (agent_id, seq) WHERE acked_at IS NULL AND (data->>'priority') = 'urgent';
