-- Retention and trash (docs/RETENTION.md).

-- A message in the trash: deleted through the API or by its retention period at this instant. It
-- has left the mailbox (messages/visibility.ts, the `trash` view lists it) and can be restored
-- until retention.trash_days have passed; then the retention worker purges it: the row goes, and
-- with its last copy the blob and attachments (the messages_release_blobs trigger, migration 0004).
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;

-- The purge's scan: trashed messages, oldest deletion first; the rest of the table is not in it.
CREATE INDEX messages_trash ON messages (deleted_at) WHERE deleted_at IS NOT NULL;
-- The retention scan: an agent's messages not in the trash, oldest first, so each sweep reads only
-- what is due (an index range below the agent's cutoff) and not its whole mailbox.
CREATE INDEX messages_retention ON messages (agent_id, received_at) WHERE deleted_at IS NULL;

-- How many days a message is kept before it goes to the trash; NULL keeps it forever. The account's
-- applies to every agent that has none of its own.
ALTER TABLE users ADD COLUMN retention_days integer CHECK (retention_days > 0);
-- An agent's own period overrides the account's, a NULL one included (kept forever whatever the
-- account says); retention_inherits says the agent has none and follows the account.
ALTER TABLE agents ADD COLUMN retention_days integer CHECK (retention_days > 0);
ALTER TABLE agents ADD COLUMN retention_inherits boolean NOT NULL DEFAULT true;
ALTER TABLE agents ADD CONSTRAINT agents_retention_inherits CHECK (NOT retention_inherits OR retention_days IS NULL);
