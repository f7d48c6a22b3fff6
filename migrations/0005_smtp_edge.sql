-- Rate-limit counters shared by every replica: one fixed window per key. A key is a limit name and
-- the thing it counts (a client network, a sender and mailbox pair, an API key…); expired rows are
-- reset on their next use and purged in the background. UNLOGGED: counters are not data worth a WAL
-- write and a disk flush per message (a commit that wrote no WAL is not flushed); after a crash
-- PostgreSQL empties the table, which only restarts every window.
CREATE UNLOGGED TABLE rate_limits (
  key         text PRIMARY KEY,
  points      integer NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX rate_limits_expires ON rate_limits (expires_at);

-- Mail to postmaster@ and abuse@ a served domain is forwarded to the operator as system mail, the
-- original attached as message/rfc822 (sealed like every other body).
ALTER TABLE system_mail ADD COLUMN attachment bytea;
