-- +goose Up
-- Mirrors sqlite/00400_campaigns.sql.
CREATE TABLE campaigns (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    channels      TEXT NOT NULL,
    audience      TEXT NOT NULL DEFAULT '{}',
    subject       TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL,
    start_at      TIMESTAMPTZ NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('planned', 'running', 'completed', 'cancelled', 'failed')),
    instance_id   TEXT NOT NULL DEFAULT '',
    parent_id     BIGINT REFERENCES campaigns (id) ON DELETE SET NULL,
    audience_size INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,
    sent          INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaigns_created ON campaigns (created_at);
CREATE INDEX campaigns_parent ON campaigns (parent_id);

CREATE TABLE campaign_recipients (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    member_id   BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    batch       INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    reason      TEXT NOT NULL DEFAULT '',
    notice_id   BIGINT,
    updated_at  TIMESTAMPTZ,
    PRIMARY KEY (campaign_id, member_id, channel)
);
CREATE INDEX campaign_recipients_batch ON campaign_recipients (campaign_id, batch, status);
CREATE INDEX campaign_recipients_status ON campaign_recipients (campaign_id, status);
CREATE INDEX campaign_recipients_member ON campaign_recipients (member_id);

-- +goose Down
DROP TABLE campaign_recipients;
DROP TABLE campaigns;
