-- Outbound mail, human review, DKIM keys and idempotency.

-- Per-agent protection (inbound/outbound gates, content scan, hold settings); '{}' means defaults.
ALTER TABLE agents ADD COLUMN protection jsonb NOT NULL DEFAULT '{}';

-- Outbound messages are rows of messages; the row is also the delivery job.
ALTER TABLE messages ADD COLUMN bcc_addresses jsonb NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN reply_to_addresses jsonb NOT NULL DEFAULT '[]';
-- Per-recipient outcome of the last attempt: [{address, status, response}].
ALTER TABLE messages ADD COLUMN delivery jsonb NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE messages ADD COLUMN locked_until timestamptz;
ALTER TABLE messages ADD COLUMN status_reason text;
ALTER TABLE messages ADD COLUMN sent_at timestamptz;
-- When the outbound worker first tried it: the retry window (outbound.retry_hours) counts from
-- here, not from acceptance, so time spent held for review does not use it up.
ALTER TABLE messages ADD COLUMN first_attempt_at timestamptz;
-- Outbound: the draft as the API received it (sealed JSON), composed into MIME by the worker.
ALTER TABLE messages ADD COLUMN draft bytea;
-- Inbound mail held by the inbound gate is stored but not delivered until approved.
ALTER TABLE messages ADD COLUMN held boolean NOT NULL DEFAULT false;
CREATE INDEX messages_outbound_due ON messages (next_attempt_at) WHERE status = 'queued';

-- raw is known only once the worker composed the message.
ALTER TABLE messages ALTER COLUMN raw DROP NOT NULL;

-- DKIM keys per sending domain (the shared domain included), private key sealed.
CREATE TABLE dkim_keys (
  domain       text PRIMARY KEY,
  selector     text NOT NULL,
  private_key  bytea NOT NULL,
  public_key   text NOT NULL,
  created_at   timestamptz NOT NULL
);

CREATE TABLE reviews (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  agent_id     text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  message_id   text NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
  direction    text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  -- pending | approved | rejected | expired_approved | expired_rejected
  status       text NOT NULL,
  reasons      jsonb NOT NULL DEFAULT '[]',
  expires_at   timestamptz NOT NULL,
  on_expiry    text NOT NULL CHECK (on_expiry IN ('approve', 'reject')),
  decided_at   timestamptz,
  decided_by   text,
  decision_note text,
  edits        jsonb,
  created_at   timestamptz NOT NULL
);
CREATE INDEX reviews_user ON reviews (user_id, id DESC);
CREATE INDEX reviews_pending_expiry ON reviews (expires_at) WHERE status = 'pending';

-- Magic-link tokens: only a hash is stored; single use; expire with the hold.
CREATE TABLE review_tokens (
  token_hash  text PRIMARY KEY,
  review_id   text NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
  action      text NOT NULL CHECK (action IN ('approve', 'reject')),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX review_tokens_review ON review_tokens (review_id);

-- Idempotency-Key records, per user: same key and body → the stored response.
CREATE TABLE idempotency_keys (
  user_id        text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key            text NOT NULL,
  request_hash   text NOT NULL,
  -- in_flight | done
  state          text NOT NULL,
  response_status integer,
  response_body  jsonb,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Mail the gateway itself sends (review notifications): not in any agent's mailbox, so an agent can
-- never read the approval links meant for its reviewer.
CREATE TABLE system_mail (
  id               text PRIMARY KEY,
  user_id          text REFERENCES users(id) ON DELETE CASCADE,
  kind             text NOT NULL,
  from_address     text NOT NULL,
  to_addresses     jsonb NOT NULL,
  subject          text NOT NULL,
  -- sealed
  text_body        bytea NOT NULL,
  html_body        bytea,
  status           text NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  locked_until     timestamptz,
  status_reason    text,
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz
);
CREATE INDEX system_mail_due ON system_mail (next_attempt_at) WHERE status = 'queued';
