-- Delivery to agents: webhooks (Standard Webhooks, retried from this table) and the WebSocket
-- acknowledgement state on events.

CREATE TABLE webhooks (
  id                          text PRIMARY KEY,
  user_id                     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  url                         text NOT NULL,
  -- Event types to send; empty means every type.
  events                      jsonb NOT NULL DEFAULT '[]',
  filter_agent_addresses      jsonb NOT NULL DEFAULT '[]',
  filter_conversation_ids     jsonb NOT NULL DEFAULT '[]',
  description                 text NOT NULL DEFAULT '',
  enabled                     boolean NOT NULL DEFAULT true,
  disabled_reason             text,
  -- whsec_… secrets, sealed with storage.encryption_key.
  secret                      bytea NOT NULL,
  previous_secret             bytea,
  previous_secret_expires_at  timestamptz,
  -- First failure since the last success: a destination failing for days is disabled.
  failing_since               timestamptz,
  last_success_at             timestamptz,
  created_at                  timestamptz NOT NULL,
  updated_at                  timestamptz NOT NULL
);
CREATE INDEX webhooks_user ON webhooks (user_id, id);

CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,
  webhook_id       text NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id         text NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  -- pending (waiting or being attempted) | succeeded | dead
  status           text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  -- A claim: the worker holding it may attempt until then; after, another may take over.
  locked_until     timestamptz,
  last_status      integer,
  last_error       text,
  created_at       timestamptz NOT NULL,
  completed_at     timestamptz,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- WebSocket listeners acknowledge events per agent; unacknowledged ones are replayed on connect.
ALTER TABLE events ADD COLUMN acked_at timestamptz;
CREATE INDEX events_agent_unacked ON events (agent_id, seq) WHERE acked_at IS NULL;
