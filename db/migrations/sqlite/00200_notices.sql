-- +goose Up
-- The notice ledger: one row per message to a member (or, with member_id NULL, to an admin),
-- keyed "<purpose>:<subject>:member:<id>:<channel>". The key makes sending idempotent: the
-- sending activity inserts the row if absent and sends only while it is not yet sent.
CREATE TABLE notices (
    id                  INTEGER PRIMARY KEY,
    key                 TEXT NOT NULL,
    member_id           INTEGER REFERENCES members (id) ON DELETE SET NULL,
    campaign_id         INTEGER,
    purpose             TEXT NOT NULL,
    channel             TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    template            TEXT NOT NULL DEFAULT '',
    subject             TEXT NOT NULL DEFAULT '',
    body                TEXT NOT NULL DEFAULT '',            -- rendered, secrets masked
    provider            TEXT NOT NULL DEFAULT '',
    provider_message_id TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'undeliverable', 'skipped')),
    error_code          TEXT NOT NULL DEFAULT '',
    error_message       TEXT NOT NULL DEFAULT '',
    attempts            INTEGER NOT NULL DEFAULT 0,
    created_at          DATETIME NOT NULL,
    updated_at          DATETIME NOT NULL,
    sent_at             DATETIME,
    delivered_at        DATETIME
);
CREATE UNIQUE INDEX notices_key ON notices (key);
CREATE INDEX notices_member ON notices (member_id, created_at);
CREATE INDEX notices_campaign_status ON notices (campaign_id, status) WHERE campaign_id IS NOT NULL;
CREATE INDEX notices_provider_message ON notices (provider_message_id) WHERE provider_message_id <> '';

-- +goose Down
DROP TABLE notices;
