-- Domain claims: a claim proves nothing until it is verified, so it must not block anyone. Several
-- accounts may hold a pending claim on one name (each with its own verification token); a name is
-- unique among verified claims only, so the first account to prove control of its DNS owns it. An
-- account holds at most one claim per name (a repeated claim returns the one it has).
ALTER TABLE domains DROP CONSTRAINT domains_name_key;
DROP INDEX domains_user;
CREATE UNIQUE INDEX domains_user_name ON domains (user_id, name);
CREATE UNIQUE INDEX domains_verified_name ON domains (name) WHERE verified_at IS NOT NULL;

-- Each account's key for the X-E2A-Auth-* claims on its mail, sealed (AES-256-GCM under
-- storage.encryption_key) like webhook secrets. After a rotation the previous key still verifies
-- until previous_secret_expires_at. A row is made on first use (SQL has no access to the sealing
-- key, so the keys of accounts that exist now are made then too).
CREATE TABLE account_claims_keys (
  user_id                     text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret                      bytea NOT NULL,
  previous_secret             bytea,
  previous_secret_expires_at  timestamptz,
  created_at                  timestamptz NOT NULL,
  rotated_at                  timestamptz
);
