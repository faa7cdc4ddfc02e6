-- +goose Up
-- Campaigns a club can trust: a second admin's approval before a big send, what happens when
-- the planned start passed while the server was down, SMS-else-e-mail, and the quiet-hours wait.
--
-- approval: '' (none needed), 'awaiting', 'approved', 'rejected', 'expired'. A campaign not
-- approved ends cancelled, its error saying why.
ALTER TABLE campaigns ADD COLUMN approval TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN approval_deadline DATETIME;
ALTER TABLE campaigns ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN approved_at DATETIME;
ALTER TABLE campaigns ADD COLUMN approval_note TEXT NOT NULL DEFAULT '';
-- missed_policy: what a start missed by more than the grace does — 'send' late, 'skip', or
-- 'hold' for an admin; missed: '' on time, else what happened ('sent_late', 'skipped', 'held').
ALTER TABLE campaigns ADD COLUMN missed_policy TEXT NOT NULL DEFAULT 'send';
ALTER TABLE campaigns ADD COLUMN missed TEXT NOT NULL DEFAULT '';
-- sms_fallback: an SMS refused for good (invalid number, no consent, STOP) goes by e-mail.
ALTER TABLE campaigns ADD COLUMN sms_fallback INTEGER NOT NULL DEFAULT 0;
-- quiet_until: the SMS wait for the quiet hours to end (the page's ETA).
ALTER TABLE campaigns ADD COLUMN quiet_until DATETIME;
-- fallback: the channel that served the recipient instead ('email'), with its outcome.
ALTER TABLE campaign_recipients ADD COLUMN fallback TEXT NOT NULL DEFAULT '';
ALTER TABLE campaign_recipients ADD COLUMN fallback_status TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE campaign_recipients DROP COLUMN fallback_status;
ALTER TABLE campaign_recipients DROP COLUMN fallback;
ALTER TABLE campaigns DROP COLUMN quiet_until;
ALTER TABLE campaigns DROP COLUMN sms_fallback;
ALTER TABLE campaigns DROP COLUMN missed;
ALTER TABLE campaigns DROP COLUMN missed_policy;
ALTER TABLE campaigns DROP COLUMN approval_note;
ALTER TABLE campaigns DROP COLUMN approved_at;
ALTER TABLE campaigns DROP COLUMN approved_by;
ALTER TABLE campaigns DROP COLUMN approval_deadline;
ALTER TABLE campaigns DROP COLUMN approval;
