-- +goose Up
-- A member's request to be erased (GDPR Art. 17), asked for in the member portal and decided
-- by an admin within a deadline (one month, Art. 12(3)) through the ErasureRequest workflow.
--
-- status: 'pending' (waiting for an admin), 'overdue' (the deadline passed undecided; still
-- decidable), 'confirmed' (erased_at set once the erasure ran), 'rejected' (reason says why).
-- requested_by and decided_by are actors ("member:7", "user:1"). A member has at most one open
-- (pending or overdue) request: the partial index makes a second ask return the first.
CREATE TABLE erasure_requests (
    id           BIGSERIAL PRIMARY KEY,
    member_id    BIGINT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    instance_id  TEXT UNIQUE,                -- set in the same transaction as the insert
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'overdue', 'confirmed', 'rejected')),
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    deadline     TIMESTAMPTZ NOT NULL,
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   TIMESTAMPTZ,
    reason       TEXT NOT NULL DEFAULT '',
    erased_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX erasure_requests_open ON erasure_requests (member_id) WHERE status IN ('pending', 'overdue');
CREATE INDEX erasure_requests_member ON erasure_requests (member_id);

-- +goose Down
DROP TABLE erasure_requests;
