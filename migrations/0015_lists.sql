-- Lists (docs/LISTS.md): an address on the gateway's domains that fans a message out to its member
-- agents, each of which gets its own copy. A list's address shares the agents' namespace (the
-- services refuse one where the other exists). Members are agents of the list's account only, so a
-- list never contains a list and membership cannot loop. Deleting the list or the agent removes the
-- membership.
CREATE TABLE lists (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  address      text NOT NULL UNIQUE,
  domain       text NOT NULL,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  -- Who may post: 'members' (member agents only) or 'anyone_verified' (a DMARC-verified sender, or
  -- an agent of this gateway). Further policies extend this check (lists/post-policy.ts).
  post_policy  text NOT NULL
    CONSTRAINT lists_post_policy_check CHECK (post_policy IN ('members', 'contacts', 'anyone_verified')),
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- GET /v1/lists: the account's lists, newest first.
CREATE INDEX lists_user ON lists (user_id, id);

CREATE TABLE list_members (
  list_id     text NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  agent_id    text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (list_id, agent_id)
);

-- Deleting an agent removes its memberships (the cascade looks them up by agent).
CREATE INDEX list_members_agent ON list_members (agent_id);
