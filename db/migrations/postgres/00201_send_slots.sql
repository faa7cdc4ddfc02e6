-- +goose Up
-- The shared rate limiter's next free send slot per provider: every process sending through
-- one provider account reserves its slot here, so the configured rate holds for all together.
CREATE TABLE send_slots (
    name    TEXT PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE send_slots;
