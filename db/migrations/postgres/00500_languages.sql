-- +goose Up
-- Each admin user reads the UI in a language of their own and each member gets messages in
-- theirs; empty means the club's default (club.language), so a change of that default reaches
-- everyone who never chose.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE members DROP COLUMN language;
ALTER TABLE users DROP COLUMN language;
