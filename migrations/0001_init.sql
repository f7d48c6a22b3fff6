-- e2a initial schema. Ids are prefixed, time-ordered strings (usr_, key_, agt_, msg_, conv_, evt_).
-- Bodies, raw messages, attachments and secrets are stored encrypted (AES-256-GCM) as bytea.

CREATE TABLE users (
  id          text PRIMARY KEY,
  email       text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE domains (
  id                  text PRIMARY KEY,
  user_id             text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name                text NOT NULL UNIQUE,
  verification_token  text NOT NULL,
  verified_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domains_user ON domains (user_id, name);

CREATE TABLE agents (
  id            text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  address       text NOT NULL UNIQUE,
  domain        text NOT NULL,
  display_name  text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_user ON agents (user_id, id);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name          text NOT NULL DEFAULT '',
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  scope         text NOT NULL CHECK (scope IN ('account', 'agent')),
  agent_id      text REFERENCES agents(id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz,
  CHECK ((scope = 'agent') = (agent_id IS NOT NULL))
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);

CREATE TABLE conversations (
  id               text PRIMARY KEY,
  agent_id         text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  subject          text,
  message_count    integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_message_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_agent ON conversations (agent_id, last_message_at DESC, id DESC);

CREATE TABLE messages (
  id                 text PRIMARY KEY,
  agent_id           text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  conversation_id    text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  direction          text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  status             text NOT NULL,
  queue_id           text,
  message_id_header  text,
  in_reply_to        text,
  references_header  jsonb NOT NULL DEFAULT '[]',
  -- sha256(recipient, Message-ID, content hash): a re-sent duplicate is stored once.
  dedupe_key         text NOT NULL,
  content_hash       text NOT NULL,
  from_address       text,
  from_name          text,
  to_addresses       jsonb NOT NULL DEFAULT '[]',
  cc_addresses       jsonb NOT NULL DEFAULT '[]',
  subject            text,
  envelope           jsonb NOT NULL DEFAULT '{}',
  authentication     jsonb,
  verified           boolean NOT NULL DEFAULT false,
  headers            jsonb NOT NULL DEFAULT '[]',
  text_body          bytea,
  html_body          bytea,
  raw                bytea NOT NULL,
  size_bytes         integer NOT NULL,
  attachment_count   integer NOT NULL DEFAULT 0,
  read_at            timestamptz,
  received_at        timestamptz NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_dedupe ON messages (agent_id, dedupe_key);
-- Ids are time-ordered, so (agent_id, id) serves newest-first listing with a keyset cursor.
CREATE INDEX messages_agent_id ON messages (agent_id, id DESC);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_message_id_header ON messages (agent_id, message_id_header);
CREATE INDEX messages_unread ON messages (agent_id, id DESC) WHERE read_at IS NULL;

CREATE TABLE attachments (
  message_id    text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  idx           integer NOT NULL,
  filename      text,
  content_type  text NOT NULL,
  size_bytes    integer NOT NULL,
  content_id    text,
  disposition   text NOT NULL,
  sha256        text NOT NULL,
  content       bytea NOT NULL,
  PRIMARY KEY (message_id, idx)
);

-- The transactional outbox: written in the same transaction as the business change.
CREATE TABLE events (
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              text PRIMARY KEY,
  user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  agent_id        text REFERENCES agents(id) ON DELETE CASCADE,
  type            text NOT NULL,
  schema_version  integer NOT NULL,
  data            jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_agent_seq ON events (agent_id, seq);
CREATE INDEX events_user_seq ON events (user_id, seq);

-- Instance-wide settings (development secrets generated on first start live here).
CREATE TABLE settings (
  key    text PRIMARY KEY,
  value  text NOT NULL
);
