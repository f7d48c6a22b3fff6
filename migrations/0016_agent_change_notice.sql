-- "This agent's routing facts changed": its address, owner, protection or expiry was updated, or it
-- was deleted. Each process caches what RCPT TO needs about an address (inbound/directory.ts) and
-- forgets an agent when this notice arrives, so a change made through any replica, by any writer,
-- reaches every replica's cache at commit. The payload is the agent's id.
CREATE FUNCTION e2a_agent_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('e2a_agents', OLD.id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER agents_changed
  AFTER UPDATE OF address, user_id, protection, expires_at OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION e2a_agent_changed();
