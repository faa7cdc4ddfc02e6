-- +goose Up
-- Mirrors sqlite/00700_sepa.sql.
CREATE TABLE club_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE mandates (
    id                 BIGSERIAL PRIMARY KEY,
    member_id          BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reference          TEXT NOT NULL UNIQUE,
    iban               TEXT NOT NULL,
    bic                TEXT NOT NULL DEFAULT '',
    holder             TEXT NOT NULL,
    signed_on          DATE NOT NULL,
    type               TEXT NOT NULL DEFAULT 'recurrent' CHECK (type IN ('recurrent', 'one_off')),
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    first_collected_on DATE,
    revoked_at         TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX mandates_member ON mandates (member_id);
CREATE UNIQUE INDEX mandates_one_active ON mandates (member_id) WHERE status = 'active';

CREATE TABLE collections (
    id           BIGSERIAL PRIMARY KEY,
    collect_on   DATE NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('planned', 'notifying', 'file_ready', 'settled', 'cancelled', 'failed')),
    instance_id  TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',
    file         BYTEA,
    file_at      TIMESTAMPTZ,
    error        TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX collections_collect_on ON collections (collect_on);

CREATE TABLE collection_items (
    id            BIGSERIAL PRIMARY KEY,
    collection_id BIGINT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    fee_id        BIGINT NOT NULL REFERENCES fees (id) ON DELETE CASCADE,
    member_id     BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    mandate_id    BIGINT NOT NULL REFERENCES mandates (id) ON DELETE CASCADE,
    sequence      TEXT NOT NULL CHECK (sequence IN ('FRST', 'RCUR', 'OOFF')),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    currency      TEXT NOT NULL,
    end_to_end_id TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL DEFAULT 'included' CHECK (status IN ('included', 'submitted', 'returned', 'paid')),
    notice        TEXT NOT NULL DEFAULT '',
    return_reason TEXT NOT NULL DEFAULT '',
    returned_at   TIMESTAMPTZ,
    UNIQUE (collection_id, fee_id)
);
CREATE INDEX collection_items_fee ON collection_items (fee_id);

ALTER TABLE fees DROP CONSTRAINT fees_status_check;
ALTER TABLE fees ADD CONSTRAINT fees_status_check CHECK (status IN ('open', 'paid', 'overdue', 'submitted'));
ALTER TABLE fees ADD COLUMN return_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
DROP TABLE collection_items;
DROP TABLE collections;
DROP TABLE mandates;
DROP TABLE club_settings;
ALTER TABLE fees DROP COLUMN return_reason;
ALTER TABLE fees DROP CONSTRAINT fees_status_check;
ALTER TABLE fees ADD CONSTRAINT fees_status_check CHECK (status IN ('open', 'paid', 'overdue'));
