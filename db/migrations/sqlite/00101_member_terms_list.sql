-- +goose Up
-- A search with at most a status filter, sorted by name, is answered from member_terms alone:
-- the matched terms carry their member's status and sort key, so the list need not look up the
-- row of each of thousands of matches to count them and pick a page. (In this WITHOUT ROWID
-- table the columns sit in the primary key's leaves, next to the term range scanned.)
ALTER TABLE member_terms ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE member_terms ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE member_terms SET
    status   = (SELECT status FROM members WHERE members.id = member_terms.member_id),
    name_key = (SELECT name_key FROM members WHERE members.id = member_terms.member_id);

-- +goose Down
ALTER TABLE member_terms DROP COLUMN name_key;
ALTER TABLE member_terms DROP COLUMN status;
