-- +goose Up
-- A campaign whose provider refuses for a while waits for it instead of giving up; the page
-- says so: until when (the next attempt) and what the provider answered. Both clear when the
-- sends go through again.
ALTER TABLE campaigns ADD COLUMN waiting_until DATETIME;
ALTER TABLE campaigns ADD COLUMN waiting_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE campaigns DROP COLUMN waiting_reason;
ALTER TABLE campaigns DROP COLUMN waiting_until;
