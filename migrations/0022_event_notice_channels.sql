-- Event notices by who can use them. Every process used to hear every committed event on one
-- channel (e2a_events), so a replica taking no part in an event still spent CPU on it, in its
-- listening backend and in itself. The notice now goes only to the channels whose listeners can
-- have work from it (docs/REALTIME.md, "Cross-replica behaviour and cost"):
--   e2a_agent_<the agent id's last two characters, lower case>: events in an agent's own feeds; a
--     process listens to the channels of the agents it has WebSocket listeners or a waiting send
--     for (up to 1,024 channels, so one process's list stays short for PostgreSQL to search);
--   e2a_deliveries: events that queued webhook deliveries, for every process's webhook worker;
--   e2a_mail_due: a review requested or approved, which gives the system mail or the outbound
--     worker mail to send.
-- The payload is unchanged, "<agent id> <seq> <type> <webhook deliveries queued>" (events/outbox.ts);
-- an event sent on two channels reaches a process listening to both twice, in a row.
CREATE OR REPLACE FUNCTION e2a_event_fanout() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  queued integer;
  notice text;
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
  notice := coalesce(NEW.agent_id, '') || ' ' || NEW.seq::text || ' ' || NEW.type || ' ' || queued::text;
  IF NEW.agent_id IS NOT NULL THEN
    PERFORM pg_notify('e2a_agent_' || lower(right(NEW.agent_id, 2)), notice);
  END IF;
  IF queued > 0 THEN
    PERFORM pg_notify('e2a_deliveries', notice);
  END IF;
  IF NEW.type IN ('email.review_requested', 'email.review_approved') THEN
    PERFORM pg_notify('e2a_mail_due', notice);
  END IF;
  RETURN NULL;
END
$$;
