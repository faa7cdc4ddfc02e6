-- +goose Up
-- Mirrors sqlite/00300_verifications.sql.
CREATE TABLE verification_keys (
    name       TEXT PRIMARY KEY,
    secret     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE verifications (
    id            BIGSERIAL PRIMARY KEY,
    member_id     BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('phone', 'email')),
    seq           INTEGER NOT NULL,
    instance_id   TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'matched', 'verified', 'expired', 'failed', 'cancelled')),
    reason        TEXT NOT NULL DEFAULT '',
    challenge     INTEGER NOT NULL DEFAULT 0,
    code_hash     TEXT NOT NULL DEFAULT '',
    address_hash  TEXT NOT NULL DEFAULT '',
    expires_at    TIMESTAMPTZ,
    sent_at       TIMESTAMPTZ,
    attempts_left INTEGER NOT NULL DEFAULT 0,
    last_check_id TEXT NOT NULL DEFAULT '',
    last_result   TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX verifications_member_kind_seq ON verifications (member_id, kind, seq);
CREATE INDEX verifications_pending ON verifications (member_id) WHERE status IN ('pending', 'matched');

CREATE TABLE verification_limits (
    id       BIGSERIAL PRIMARY KEY,
    key_hash TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX verification_limits_key ON verification_limits (key_hash, at);
CREATE INDEX verification_limits_at ON verification_limits (at);

-- +goose Down
DROP TABLE verification_limits;
DROP TABLE verifications;
DROP TABLE verification_keys;
