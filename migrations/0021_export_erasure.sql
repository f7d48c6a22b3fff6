-- Export and erasure (docs/DATA.md).
--
-- An export is a job: POST /v1/account/export queues it, a worker on any replica claims it with a
-- lease (locked_until, lease_owner) and writes the archive a batch at a time, each batch one
-- transaction that appends a chunk and moves `cursor` on. A worker that dies leaves the lease to
-- lapse; the next one resumes at the committed cursor. The archive lives here, in chunks, not in
-- one replica's data_dir, so whichever replica answers the download can stream it. Chunks are
-- sealed like every stored body (AES-256-GCM under storage.encryption_key): the archive holds the
-- account's mail in the clear. A finished archive is deleted at expires_at (exports.retention_hours).
CREATE TABLE account_exports (
  id              text PRIMARY KEY,
  user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  status          text NOT NULL
    CONSTRAINT account_exports_status_check CHECK (status IN ('queued', 'running', 'done', 'failed', 'expired')),
  messages_total  integer NOT NULL DEFAULT 0,
  messages_done   integer NOT NULL DEFAULT 0,
  -- Where the next batch starts (exports/sections.ts): the section, the last id written, pages so far.
  cursor          jsonb NOT NULL DEFAULT '{}',
  chunks          integer NOT NULL DEFAULT 0,
  size_bytes      bigint NOT NULL DEFAULT 0,
  attempts        integer NOT NULL DEFAULT 0,
  lease_owner     text,
  locked_until    timestamptz,
  error           text,
  created_at      timestamptz NOT NULL,
  started_at      timestamptz,
  completed_at    timestamptz,
  expires_at      timestamptz
);
CREATE INDEX account_exports_user ON account_exports (user_id, id DESC);
-- The worker's claim: jobs not finished, oldest first.
CREATE INDEX account_exports_open ON account_exports (created_at) WHERE status IN ('queued', 'running');
-- The retention sweep.
CREATE INDEX account_exports_expiry ON account_exports (expires_at) WHERE status = 'done';

CREATE TABLE account_export_chunks (
  export_id   text NOT NULL REFERENCES account_exports(id) ON DELETE CASCADE,
  seq         integer NOT NULL,
  -- sealed tar bytes; size_bytes is their plain length
  data        bytea NOT NULL,
  size_bytes  integer NOT NULL,
  PRIMARY KEY (export_id, seq)
);

-- An erasure: DELETE /v1/account or DELETE /v1/agents/{address}. From the request on, the scope is
-- disabled (users.erasure_id / agents.erasure_id set: keys 401, RCPT 550 5.1.1, listeners closed);
-- at erase_after (erasure.grace_period_hours later) a worker deletes the scope table by table in
-- bounded batches and adds what each batch deleted to `erased`, the report. Until then it can be
-- cancelled, with the account key (agent scope) or the cancel token shown once (either scope).
-- user_id is no foreign key: the report outlives the account it is about. `target` (the agent's
-- address or the account's email) is cleared once an account erasure is done and its report mailed.
CREATE TABLE erasures (
  id                 text PRIMARY KEY,
  user_id            text NOT NULL,
  scope              text NOT NULL CONSTRAINT erasures_scope_check CHECK (scope IN ('account', 'agent')),
  agent_id           text,
  target             text,
  status             text NOT NULL
    CONSTRAINT erasures_status_check CHECK (status IN ('scheduled', 'cancelled', 'erasing', 'done')),
  cancel_token_hash  text NOT NULL,
  erased             jsonb NOT NULL DEFAULT '{}',
  requested_at       timestamptz NOT NULL,
  erase_after        timestamptz NOT NULL,
  cancelled_at       timestamptz,
  started_at         timestamptz,
  completed_at       timestamptz,
  CONSTRAINT erasures_agent_check CHECK ((scope = 'agent') = (agent_id IS NOT NULL))
);
CREATE INDEX erasures_user ON erasures (user_id, id DESC);
-- The worker's claim: erasures whose grace period is over (or that are under way).
CREATE INDEX erasures_due ON erasures (erase_after) WHERE status IN ('scheduled', 'erasing');
-- One live erasure per agent and per account: a repeated DELETE answers with the one there is.
CREATE UNIQUE INDEX erasures_live_agent ON erasures (agent_id) WHERE scope = 'agent' AND status IN ('scheduled', 'erasing');
CREATE UNIQUE INDEX erasures_live_account ON erasures (user_id) WHERE scope = 'account' AND status IN ('scheduled', 'erasing');

-- The agent a system mail is about (a review notification names the agent and the held mail's
-- subject), so that erasing the agent takes its notifications too. NULL: about no one agent.
ALTER TABLE system_mail ADD COLUMN agent_id text;

-- Set while an erasure is pending or under way: the account (every key and session 401) or the
-- agent (its keys 401, its address unknown at RCPT, gone to the API) is disabled.
ALTER TABLE users ADD COLUMN erasure_id text;
ALTER TABLE agents ADD COLUMN erasure_id text;
