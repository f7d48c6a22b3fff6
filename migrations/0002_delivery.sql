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

-- Delivery ids are deterministic (one per webhook and event; a replay reuses the row) and sort by
-- the event's sequence number, so a webhook's deliveries page newest first by id.
CREATE FUNCTION e2a_delivery_id(webhook_id text, event_seq bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'whd_' || lpad(to_hex(event_seq), 16, '0') || md5(webhook_id)
$$;

-- Every event, from any code path, fans out to the matching webhooks and wakes listeners, inside
-- the transaction that wrote it (NOTIFY is delivered at commit, and not at all on rollback).
-- Payload: "<agent id> <seq> <type> <webhook deliveries queued>", so each consumer wakes only for
-- work it can have.
CREATE FUNCTION e2a_event_fanout() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  queued integer;
BEGIN
  INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, next_attempt_at, created_at)
  SELECT e2a_delivery_id(w.id, NEW.seq), w.id, NEW.id, 'pending', NEW.created_at, NEW.created_at
  FROM webhooks w
  WHERE w.user_id = NEW.user_id
    AND w.enabled
    AND (jsonb_array_length(w.events) = 0 OR w.events ? NEW.type)
    AND (jsonb_array_length(w.filter_agent_addresses) = 0 OR w.filter_agent_addresses ? (NEW.data->>'agent_address'))
    AND (jsonb_array_length(w.filter_conversation_ids) = 0 OR w.filter_conversation_ids ? (NEW.data->>'conversation_id'))
  ON CONFLICT (webhook_id, event_id) DO NOTHING;
  GET DIAGNOSTICS queued = ROW_COUNT;
  PERFORM pg_notify('e2a_events', coalesce(NEW.agent_id, '') || ' ' || NEW.seq::text || ' ' || NEW.type || ' ' || queued::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER events_fanout AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION e2a_event_fanout();
