-- +goose Up
-- The outbox keeps a message under its notice's key at most once: a send repeated after a
-- crash finds the message it already kept instead of keeping a second copy. Unique, and NULL
-- (a message without a key) never conflicts.
ALTER TABLE outbox_messages ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX outbox_messages_idempotency_key ON outbox_messages (idempotency_key);

-- +goose Down
DROP INDEX outbox_messages_idempotency_key;
ALTER TABLE outbox_messages DROP COLUMN idempotency_key;
