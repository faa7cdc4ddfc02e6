-- +goose Up
-- SEPA direct debit: the club's settings (creditor), the members' mandates, collection runs and
-- the fees each run collects.

-- Club settings an admin changes in the UI (not in config.yaml: they are the club's data, and
-- a treasurer who changes the club's bank account should not need the server's files).
CREATE TABLE club_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
);

-- A member's SEPA direct debit mandate. At most one is active per member; a revoked one stays
-- for the record (its reference may never be reused).
CREATE TABLE mandates (
    id                 INTEGER PRIMARY KEY,
    member_id          INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reference          TEXT NOT NULL UNIQUE,
    iban               TEXT NOT NULL,
    bic                TEXT NOT NULL DEFAULT '',
    holder             TEXT NOT NULL,
    signed_on          TEXT NOT NULL,
    type               TEXT NOT NULL DEFAULT 'recurrent' CHECK (type IN ('recurrent', 'one_off')),
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    first_collected_on TEXT,                                 -- the first submitted debit: FRST before, RCUR after
    revoked_at         DATETIME,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);
CREATE INDEX mandates_member ON mandates (member_id);
CREATE UNIQUE INDEX mandates_one_active ON mandates (member_id) WHERE status = 'active';

-- A collection run: the due fees with an active mandate, collected on collect_on.
CREATE TABLE collections (
    id           INTEGER PRIMARY KEY,
    collect_on   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('planned', 'notifying', 'file_ready', 'settled', 'cancelled', 'failed')),
    instance_id  TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',
    file         BLOB,                                       -- the pain.008 XML
    file_at      DATETIME,
    error        TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX collections_collect_on ON collections (collect_on);

-- One fee in one collection. A returned fee may be collected again by a later run.
CREATE TABLE collection_items (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    fee_id        INTEGER NOT NULL REFERENCES fees (id) ON DELETE CASCADE,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    mandate_id    INTEGER NOT NULL REFERENCES mandates (id) ON DELETE CASCADE,
    sequence      TEXT NOT NULL CHECK (sequence IN ('FRST', 'RCUR', 'OOFF')),
    amount        INTEGER NOT NULL CHECK (amount > 0),
    currency      TEXT NOT NULL,
    end_to_end_id TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL DEFAULT 'included' CHECK (status IN ('included', 'submitted', 'returned', 'paid')),
    notice        TEXT NOT NULL DEFAULT '',                  -- the pre-notification: sent, failed, skipped
    return_reason TEXT NOT NULL DEFAULT '',
    returned_at   DATETIME,
    UNIQUE (collection_id, fee_id)
);
CREATE INDEX collection_items_fee ON collection_items (fee_id);

-- Fees learn "submitted" (in a bank file, not yet booked) and keep the reason of a return.
-- SQLite cannot change a CHECK in place: the table is rebuilt (nothing references it yet).
CREATE TABLE fees_new (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    plan_id       INTEGER NOT NULL REFERENCES plans (id),
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    due_on        TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    currency      TEXT NOT NULL,
    paid_on       TEXT,
    method        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('open', 'paid', 'overdue', 'submitted')),
    overdue_at    DATETIME,
    return_reason TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
INSERT INTO fees_new (id, member_id, plan_id, period_start, period_end, due_on, amount, currency, paid_on, method, status, overdue_at, created_at, updated_at)
SELECT id, member_id, plan_id, period_start, period_end, due_on, amount, currency, paid_on, method, status, overdue_at, created_at, updated_at FROM fees;
DROP TABLE fees;
ALTER TABLE fees_new RENAME TO fees;
CREATE UNIQUE INDEX fees_member_period ON fees (member_id, period_start);
CREATE INDEX fees_open_due ON fees (due_on) WHERE status = 'open';
CREATE INDEX fees_overdue ON fees (member_id) WHERE status = 'overdue';
CREATE INDEX fees_status ON fees (status);

-- +goose Down
DROP TABLE collection_items;
DROP TABLE collections;
DROP TABLE mandates;
DROP TABLE club_settings;
ALTER TABLE fees DROP COLUMN return_reason;
