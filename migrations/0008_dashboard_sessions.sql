-- Web dashboard sign-in. A sign-in link is a one-time token (only its SHA-256 stored) that, opened
-- before expires_at, becomes a session: the browser then holds the session token in an httpOnly
-- cookie (only its SHA-256 stored here). A session acts with account scope, like an account key;
-- revoked_at ends it early (sign-out, sign out everywhere, revocation from another session).
CREATE TABLE dashboard_sign_in_links (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX dashboard_sign_in_links_expiry ON dashboard_sign_in_links (expires_at);

CREATE TABLE dashboard_sessions (
  id            text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  user_agent    text
);
CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id, id);
