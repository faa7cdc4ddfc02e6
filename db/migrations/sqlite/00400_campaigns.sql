-- +goose Up
-- A renewal campaign: who it is for (a member-list filter, frozen into campaign_recipients
-- when it starts), what it says, when it starts and how far it got.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    channels      TEXT NOT NULL,                           -- "email", "sms" or "email,sms"
    audience      TEXT NOT NULL DEFAULT '{}',              -- JSON of the member-list filters
    subject       TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL,                           -- a template over member fields
    start_at      DATETIME NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('planned', 'running', 'completed', 'cancelled', 'failed')),
    instance_id   TEXT NOT NULL DEFAULT '',
    parent_id     INTEGER REFERENCES campaigns (id) ON DELETE SET NULL, -- "retry failed" of
    audience_size INTEGER NOT NULL DEFAULT 0,              -- members frozen at start
    total         INTEGER NOT NULL DEFAULT 0,              -- counts cache: notices planned
    sent          INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    started_at    DATETIME,
    finished_at   DATETIME,
    updated_at    DATETIME NOT NULL
);
CREATE INDEX campaigns_created ON campaigns (created_at);
CREATE INDEX campaigns_parent ON campaigns (parent_id);

-- The frozen audience: one row per member and channel, written once when the campaign starts.
-- Batch 0 holds the rows skipped at once (no consent or no contact); batches 1..n are sent.
CREATE TABLE campaign_recipients (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    batch       INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    reason      TEXT NOT NULL DEFAULT '',
    notice_id   INTEGER,
    updated_at  DATETIME,
    PRIMARY KEY (campaign_id, member_id, channel)
) WITHOUT ROWID;
CREATE INDEX campaign_recipients_batch ON campaign_recipients (campaign_id, batch, status);
CREATE INDEX campaign_recipients_status ON campaign_recipients (campaign_id, status);
CREATE INDEX campaign_recipients_member ON campaign_recipients (member_id);

-- +goose Down
DROP TABLE campaign_recipients;
DROP TABLE campaigns;
