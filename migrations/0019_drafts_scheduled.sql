-- Scheduled sends and saved drafts (docs/OUTBOUND.md, "Drafts and scheduled sending").

-- The time a send asked to go out at (`send_at`), kept whatever the message's status: a held
-- message approved before it becomes `scheduled`, not `queued`. A scheduled message is due at
-- next_attempt_at = send_at, and the outbound worker's claim turns it into `queued` as it takes it.
ALTER TABLE messages ADD COLUMN send_at timestamptz;

-- The worker claims due rows of both statuses in one statement (outbound/repo.ts claimDue), so the
-- index that serves its ORDER BY next_attempt_at covers both.
DROP INDEX messages_outbound_due;
CREATE INDEX messages_outbound_due ON messages (next_attempt_at) WHERE status IN ('queued', 'scheduled');

-- Saved drafts: what an agent means to send later, through POST …/drafts/{id}/send. Not messages:
-- nothing here is in a mailbox, a conversation or the outbound queue until it is sent.
CREATE TABLE saved_drafts (
  id                text PRIMARY KEY,
  agent_id          text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  -- What a listing shows, in the clear like a message's own To and Subject.
  subject           text NOT NULL,
  to_addresses      jsonb NOT NULL DEFAULT '[]',
  attachment_count  integer NOT NULL,
  -- The message this draft answers (a reply when sent), and when it is to go out.
  in_reply_to       text,
  send_at           timestamptz,
  -- The whole draft as the API took it (DraftRequest JSON), sealed: bodies, attachments, every recipient.
  content           bytea NOT NULL,
  size_bytes        integer NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
-- Ids are time-ordered: newest-first listing with a keyset cursor, and the per-agent count.
CREATE INDEX saved_drafts_agent ON saved_drafts (agent_id, id DESC);
