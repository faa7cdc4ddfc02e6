-- +goose Up
-- The shared rate limiter's next free send slot per provider. Only PostgreSQL installations use
-- it (several processes share one provider account); SQLite has the table for symmetry.
CREATE TABLE send_slots (
    name    TEXT PRIMARY KEY,
    next_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE send_slots;
