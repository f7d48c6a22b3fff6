-- Capability cards (docs/CARDS.md): what an agent does, what it accepts and who should write to it,
-- one per agent, kept as jsonb beside a search vector the database maintains. visibility 'account'
-- shows the card to the owning account only; 'public' puts it in every account's directory and on
-- /.well-known/e2a/agents/{address}.json. Deleting the agent deletes its card.
CREATE TABLE agent_cards (
  agent_id    text PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
  visibility  text NOT NULL DEFAULT 'account'
    CONSTRAINT agent_cards_visibility_check CHECK (visibility IN ('account', 'public')),
  card        jsonb NOT NULL,
  -- The 'simple' configuration (lowercase whole words, no stemming, no stop words): cards are written
  -- in many languages, and the same configuration exists on PostgreSQL and PGlite alike. Skills weigh
  -- most (A), then the display name (B), then the description (C), so ts_rank puts a card whose
  -- skills match above one that only mentions the word.
  search      tsvector GENERATED ALWAYS AS (
    setweight(jsonb_to_tsvector('simple', coalesce(card->'skills', '[]'::jsonb), '["string"]'), 'A') ||
    setweight(to_tsvector('simple', coalesce(card->>'display_name', '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(card->>'description', '')), 'C')
  ) STORED,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- GET /v1/directory?q=…: websearch_to_tsquery matched against the vector.
CREATE INDEX agent_cards_search ON agent_cards USING gin (search);
-- GET /v1/directory?tag=…: card->'skills' @> '["tag"]'.
CREATE INDEX agent_cards_skills ON agent_cards USING gin ((card->'skills') jsonb_path_ops);
-- Other accounts' cards in the directory, and the well-known document: public ones only.
CREATE INDEX agent_cards_public ON agent_cards (agent_id) WHERE visibility = 'public';
