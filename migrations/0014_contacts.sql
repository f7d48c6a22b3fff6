-- Contacts (docs/CONTACTS.md): a request from an agent of this gateway to any address, approved with
-- a one-time code by the other side's owner (or, for an address outside this gateway, by the
-- requesting agent's own account), then a grant both ways until it expires or either side revokes
-- it. `state` holds what was decided; "expired" is derived from the two expiries at read time.
CREATE TABLE contacts (
  id              text PRIMARY KEY,
  -- The requesting agent; deleting it deletes its contacts.
  agent_id        text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  -- Both addresses lower-case: the requester's, and the one it asked for.
  address         text NOT NULL,
  peer_address    text NOT NULL,
  -- The agent at peer_address when it is on this gateway (its owner approves); NULL for outside.
  peer_agent_id   text REFERENCES agents(id) ON DELETE CASCADE,
  note            text,
  state           text NOT NULL DEFAULT 'pending'
    CONSTRAINT contacts_state_check CHECK (state IN ('pending', 'active', 'revoked', 'failed')),
  -- sha256 of the verification code; the code itself is shown once, to the requester.
  code_hash       text NOT NULL,
  code_expires_at timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  -- The grant's expiry; NULL: until revoked.
  expires_at      timestamptz,
  created_at      timestamptz NOT NULL,
  approved_at     timestamptz,
  revoked_at      timestamptz
);

-- The inbound gate: a live grant between the receiving agent and the sender, from either side.
CREATE INDEX contacts_live_outgoing ON contacts (agent_id, peer_address) WHERE state = 'active';
CREATE INDEX contacts_live_incoming ON contacts (peer_agent_id, address) WHERE state = 'active';
-- max_pending_per_agent: the requester's pending requests whose code has not expired.
CREATE INDEX contacts_pending ON contacts (agent_id, code_expires_at) WHERE state = 'pending';
