-- A message's bytes are stored once per accepted message, however many recipients it has: the raw
-- message, its decoded text and HTML bodies (all sealed) and its attachments live in message_blobs
-- and attachments, and each recipient's messages row points at them by blob_id. A blob belongs to
-- the one acceptance that created it (never shared across messages by content), so once no row
-- references it, none ever will again, and it is deleted.

CREATE TABLE message_blobs (
  id          text PRIMARY KEY,
  -- sealed (AES-256-GCM); NULL only for outbound mail the worker has not composed yet
  raw         bytea,
  text_body   bytea,
  html_body   bytea,
  created_at  timestamptz NOT NULL
);

-- Existing rows: the inbound copies of one acceptance share its queue id and content hash (one
-- InboundSink.accept stored them), so they share one blob, the bytes of the copy with the lowest
-- id; every other row (outbound mail) gets a blob of its own. A blob's id is its representative
-- message's time-ordered id under the blob prefix.
CREATE TEMP TABLE e2a_blob_of ON COMMIT DROP AS
  SELECT id,
         'blob_' || substr(min(id) OVER (PARTITION BY CASE WHEN direction = 'inbound' AND queue_id IS NOT NULL
                                                          THEN queue_id || ' ' || content_hash ELSE id END), 5) AS blob_id
    FROM messages;
CREATE UNIQUE INDEX ON e2a_blob_of (id);

INSERT INTO message_blobs (id, raw, text_body, html_body, created_at)
  SELECT b.blob_id, m.raw, m.text_body, m.html_body, m.created_at
    FROM messages m JOIN e2a_blob_of b ON b.id = m.id
   WHERE b.blob_id = 'blob_' || substr(m.id, 5);

ALTER TABLE messages ADD COLUMN blob_id text;
-- NULLing the moved columns before dropping them lets their TOASTed bytes be vacuumed; a bare
-- DROP COLUMN would leave them on disk under every existing row.
UPDATE messages m SET blob_id = b.blob_id, raw = NULL, text_body = NULL, html_body = NULL
  FROM e2a_blob_of b WHERE b.id = m.id;
ALTER TABLE messages DROP COLUMN raw, DROP COLUMN text_body, DROP COLUMN html_body;
ALTER TABLE messages ALTER COLUMN blob_id SET NOT NULL;
ALTER TABLE messages ADD CONSTRAINT messages_blob_id_fkey FOREIGN KEY (blob_id) REFERENCES message_blobs (id);
-- Serves the "any row still referencing this blob?" check on every delete.
CREATE INDEX messages_blob ON messages (blob_id);

-- Attachments belong to the blob: one set per accepted message, not one per recipient.
ALTER TABLE attachments ADD COLUMN blob_id text;
UPDATE attachments a SET blob_id = b.blob_id FROM e2a_blob_of b WHERE b.id = a.message_id;
DELETE FROM attachments a USING e2a_blob_of b WHERE b.id = a.message_id AND b.blob_id <> 'blob_' || substr(a.message_id, 5);
ALTER TABLE attachments DROP CONSTRAINT attachments_pkey;
ALTER TABLE attachments DROP COLUMN message_id;
ALTER TABLE attachments ALTER COLUMN blob_id SET NOT NULL;
ALTER TABLE attachments ADD PRIMARY KEY (blob_id, idx);
ALTER TABLE attachments ADD CONSTRAINT attachments_blob_id_fkey FOREIGN KEY (blob_id) REFERENCES message_blobs (id) ON DELETE CASCADE;

-- A blob goes with the last row that references it, whatever deleted the rows (one message, an
-- agent's mailbox by cascade, an account). Two transactions deleting a blob's last two copies at
-- once must not both see the other's copy and keep the blob: each locks its blobs first (in id
-- order, so two releases never deadlock each other), and the check that follows runs on a fresh
-- snapshot (READ COMMITTED, a new statement), so whoever gets the lock second sees the first one's
-- delete committed. A blob never gains a reference after its creating transaction (blobs are per
-- accepted message), so one seen unreferenced under the lock stays unreferenced.
CREATE FUNCTION e2a_release_blobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM message_blobs WHERE id IN (SELECT blob_id FROM released) ORDER BY id FOR UPDATE;
  DELETE FROM message_blobs b
   WHERE b.id IN (SELECT blob_id FROM released)
     AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_id = b.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER messages_release_blobs AFTER DELETE ON messages
  REFERENCING OLD TABLE AS released FOR EACH STATEMENT EXECUTE FUNCTION e2a_release_blobs();
