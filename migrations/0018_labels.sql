-- Labels (docs/LABELS.md): an agent's own names for its messages and conversations. A label belongs
-- to one agent and is created on first use; its name keeps the spelling it was created with and is
-- unique per agent without regard to case. Names are ASCII (the check below), so lower() folds
-- them alike on PostgreSQL and PGlite whatever the locale. The system labels (unread, sent, trash,
-- held) are derived from the message and never stored here. Deleting the agent, the message, the
-- conversation or the label removes what hangs on it.
CREATE TABLE labels (
  id          text PRIMARY KEY,
  agent_id    text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  name        text NOT NULL
    CONSTRAINT labels_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$'),
  created_at  timestamptz NOT NULL
);

-- One label per name and agent, whatever the case; also every lookup by name (add, remove, the
-- ?label= filter, delete).
CREATE UNIQUE INDEX labels_agent_name ON labels (agent_id, lower(name));

CREATE TABLE message_labels (
  message_id  text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  label_id    text NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
  PRIMARY KEY (message_id, label_id)
);

-- ?label=…: a label's messages, newest first (message ids are time-ordered); the counts of
-- GET …/labels; deleting a label.
CREATE INDEX message_labels_label ON message_labels (label_id, message_id DESC);

CREATE TABLE conversation_labels (
  conversation_id  text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  label_id         text NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
  PRIMARY KEY (conversation_id, label_id)
);

CREATE INDEX conversation_labels_label ON conversation_labels (label_id, conversation_id);
