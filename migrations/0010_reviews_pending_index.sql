-- The review queue lists an account's pending reviews newest first, a page at a time, and shows how
-- many there are. reviews_user (user_id, id DESC) serves both only by also walking every decided
-- review of the account; this partial index holds the pending ones alone, so the queue's page and
-- its count read only what is waiting, however long the history of decided reviews grows.
CREATE INDEX reviews_user_pending ON reviews (user_id, id DESC) WHERE status = 'pending';
