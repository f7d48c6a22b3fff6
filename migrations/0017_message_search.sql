-- Full-text search over mailboxes (docs/SEARCH.md). Bodies are sealed at rest, so the database
-- cannot compute a message's vector from its columns: the statement that stores a message computes
-- it from the plaintext the gateway holds at that moment (api/src/messages/search-document.ts), with
-- the 'simple' configuration (lowercase whole words, no stemming, no stop words, the same on
-- PostgreSQL and PGlite): the subject weighs most (A), then addresses, display names and attachment
-- file names (B), then the body (D).
--
-- The vector holds the words of the plaintext, not the message (docs/SECURITY.md, "Search index").
-- Messages stored before this migration have no vector (NULL) and match no search: a migration
-- cannot decrypt their bodies. `e2a-server search-index` computes theirs with the encryption key.
-- The vector is the blob's (one per accepted message, shared by every recipient's copy, as its bytes
-- are: DESIGN §9 "Blobs"), not each copy's: a message to 100 agents is indexed once, and each copy is
-- found through its blob.
ALTER TABLE message_blobs ADD COLUMN search tsvector;

-- GET /v1/agents/{address}/messages?q=… and GET /v1/search: `search @@ websearch_to_tsquery(…)`.
CREATE INDEX message_blobs_search ON message_blobs USING gin (search);
