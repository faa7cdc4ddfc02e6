-- +goose Up
-- Keys of the verification area: random secrets made once per installation, shared by every
-- process on the same app database. They key the hashes of codes, addresses and client
-- addresses, and sign the links of the join and e-mail pages.
CREATE TABLE verification_keys (
    name       TEXT PRIMARY KEY,
    secret     BLOB NOT NULL,
    created_at DATETIME NOT NULL
);

-- One row per verification run (one orchestration instance). The code itself is never stored:
-- code_hash is an HMAC of it, address_hash one of the phone number or e-mail address it went to.
CREATE TABLE verifications (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
    seq           INTEGER NOT NULL,                                 -- 1, 2, … per member and kind
    instance_id   TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'matched', 'verified', 'expired', 'failed', 'cancelled')),
    reason        TEXT NOT NULL DEFAULT '',
    challenge     INTEGER NOT NULL DEFAULT 0,                       -- 0 until the first code is out
    code_hash     TEXT NOT NULL DEFAULT '',
    address_hash  TEXT NOT NULL DEFAULT '',
    expires_at    DATETIME,
    sent_at       DATETIME,
    attempts_left INTEGER NOT NULL DEFAULT 0,
    last_check_id TEXT NOT NULL DEFAULT '',                         -- makes a retried check count once
    last_result   TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    ended_at      DATETIME
);
CREATE UNIQUE INDEX verifications_member_kind_seq ON verifications (member_id, kind, seq);
CREATE INDEX verifications_pending ON verifications (member_id) WHERE status IN ('pending', 'matched');

-- Abuse limits: one row per code sent to a number or address and per request from a client
-- address, keyed by an HMAC so that neither is kept in plain text; rows older than an hour
-- count for nothing and are pruned.
CREATE TABLE verification_limits (
    id       INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL,
    at       DATETIME NOT NULL
);
CREATE INDEX verification_limits_key ON verification_limits (key_hash, at);
CREATE INDEX verification_limits_at ON verification_limits (at);

-- +goose Down
DROP TABLE verification_limits;
DROP TABLE verifications;
DROP TABLE verification_keys;
