-- +goose Up
-- Mirrors sqlite/00101_member_terms_list.sql; the covering index lets PostgreSQL answer the
-- same searches with an index-only scan.
ALTER TABLE member_terms ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE member_terms ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE member_terms SET status = m.status, name_key = m.name_key FROM members m WHERE m.id = member_terms.member_id;
CREATE INDEX member_terms_list ON member_terms (term) INCLUDE (member_id, status, name_key);

-- +goose Down
DROP INDEX member_terms_list;
ALTER TABLE member_terms DROP COLUMN name_key;
ALTER TABLE member_terms DROP COLUMN status;
