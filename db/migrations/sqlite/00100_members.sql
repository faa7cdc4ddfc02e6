-- +goose Up
-- Days without a time (birth dates, fee periods) are 'YYYY-MM-DD' text, which compares and sorts
-- as the days do. They are declared TEXT, not DATE: for a DATE column go-sqlite3 tries eight
-- timestamp layouts on every value before the plain date, a fifth of a 100,000-member export's
-- time. Timestamps are DATETIME, in UTC.
CREATE TABLE plans (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    fee_amount INTEGER NOT NULL CHECK (fee_amount >= 0),   -- minor units (cents)
    currency   TEXT NOT NULL,
    period     TEXT NOT NULL CHECK (period IN ('monthly', 'quarterly', 'yearly')),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX plans_name ON plans (lower(name));

CREATE TABLE members (
    id                 INTEGER PRIMARY KEY,
    first_name         TEXT NOT NULL,
    last_name          TEXT NOT NULL,
    email              TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',                -- E.164
    birth_date         TEXT,
    street             TEXT NOT NULL DEFAULT '',
    postal_code        TEXT NOT NULL DEFAULT '',
    city               TEXT NOT NULL DEFAULT '',
    country            TEXT NOT NULL DEFAULT '',
    joined_on          TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'paused', 'archived')),
    prior_status       TEXT NOT NULL DEFAULT '',                -- what Restore returns to
    archived_on        TEXT,
    plan_id            INTEGER REFERENCES plans (id),
    rank               TEXT NOT NULL DEFAULT '',
    membership_ends_on TEXT,
    guardian_name      TEXT NOT NULL DEFAULT '',
    guardian_phone     TEXT NOT NULL DEFAULT '',
    guardian_email     TEXT NOT NULL DEFAULT '',
    notes              TEXT NOT NULL DEFAULT '',
    sms_consent        BOOLEAN NOT NULL DEFAULT FALSE,
    sms_consent_at     DATETIME,
    email_consent      BOOLEAN NOT NULL DEFAULT FALSE,
    email_consent_at   DATETIME,
    phone_verified_at  DATETIME,
    email_verified_at  DATETIME,
    erased_at          DATETIME,
    name_key           TEXT NOT NULL DEFAULT '',                -- folded "last first" for sorting
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
-- One live member per address; an archived member's address may be reused.
CREATE UNIQUE INDEX members_email_live ON members (lower(email)) WHERE status <> 'archived' AND email <> '';
CREATE INDEX members_status_name ON members (status, name_key);
CREATE INDEX members_name ON members (name_key);
CREATE INDEX members_created ON members (created_at);
CREATE INDEX members_joined ON members (joined_on);
CREATE INDEX members_ends ON members (membership_ends_on);
CREATE INDEX members_plan ON members (plan_id);
CREATE INDEX members_rank ON members (rank);

-- Search: every word of a member's names, e-mail and phone forms, lower-cased and folded, one
-- row each, so that a prefix search is an index range scan instead of a scan of every member.
CREATE TABLE member_terms (
    term      TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (term, member_id)
) WITHOUT ROWID;
CREATE INDEX member_terms_member ON member_terms (member_id);

CREATE TABLE gradings (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    rank       TEXT NOT NULL,
    graded_on  TEXT NOT NULL,
    notes      TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX gradings_member_rank ON gradings (member_id, rank);
CREATE INDEX gradings_member_date ON gradings (member_id, graded_on);

CREATE TABLE fees (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    plan_id      INTEGER NOT NULL REFERENCES plans (id),
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    paid_on      TEXT,
    method       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('open', 'paid', 'overdue')),
    overdue_at   DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
-- Makes fee creation idempotent, also when two schedulers run at once.
CREATE UNIQUE INDEX fees_member_period ON fees (member_id, period_start);
CREATE INDEX fees_open_due ON fees (due_on) WHERE status = 'open';
CREATE INDEX fees_overdue ON fees (member_id) WHERE status = 'overdue';
CREATE INDEX fees_status ON fees (status);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        DATETIME NOT NULL,
    actor     TEXT NOT NULL,                                    -- user:3, token:2, system, workflow:ID
    member_id INTEGER REFERENCES members (id) ON DELETE SET NULL,
    action    TEXT NOT NULL,
    field     TEXT NOT NULL DEFAULT '',
    old_value TEXT NOT NULL DEFAULT '',
    new_value TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_member ON audit_log (member_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE fees;
DROP TABLE gradings;
DROP TABLE member_terms;
DROP TABLE members;
DROP TABLE plans;
