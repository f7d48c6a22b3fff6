-- The local outbox: with outbound_smtp.mode outbox (the development default), mail that would leave
-- the gateway is captured here instead of sent. raw is the composed, signed message as it would have
-- gone out, sealed like every stored body. user_id is the account that caused the mail (the sending
-- agent's account, or the account a review notification is for); NULL for the operator's own mail
-- (postmaster@/abuse@ forwards), which no account key can list. One row per sent item and source, so
-- a retried attempt does not capture the same mail twice.
CREATE TABLE outbox (
  id             text PRIMARY KEY,
  user_id        text REFERENCES users(id) ON DELETE CASCADE,
  source         text NOT NULL,
  source_id      text NOT NULL,
  agent_address  text,
  mail_from      text NOT NULL,
  recipients     jsonb NOT NULL,
  subject        text NOT NULL,
  raw            bytea NOT NULL,
  size_bytes     integer NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE UNIQUE INDEX outbox_source ON outbox (source, source_id);
CREATE INDEX outbox_user ON outbox (user_id, id);
