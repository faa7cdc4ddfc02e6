-- +goose Up
-- The member portal. A verification run now has a purpose: 'verify' confirms the member's
-- current phone or e-mail (admin, join); 'change' confirms a new one the member typed in the
-- portal — new_address holds it until the code is entered, then it replaces the old value,
-- and it is wiped when the run ends; 'sign_in' is a portal sign-in, whose code proves that
-- the person holds the address (new_address: the address typed, which may be a guardian's).
-- claimed_at marks the sign-in that became a session, so a code signs in once.
ALTER TABLE verifications ADD COLUMN purpose TEXT NOT NULL DEFAULT 'verify' CHECK (purpose IN ('verify', 'change', 'sign_in'));
ALTER TABLE verifications ADD COLUMN new_address TEXT NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN claimed_at DATETIME;

-- A portal session: its id is the SHA-256 of the cookie value, as for admin sessions, and it
-- is separate from them. member_id is the record the person signed in for (their own, or a
-- minor's when a guardian signed in); portal_session_members lists every record the session
-- may reach — the person's own and their minors' — fixed at sign-in.
CREATE TABLE portal_sessions (
    id           TEXT PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,                    -- email | phone: how the person signed in
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    revoked_at   DATETIME,
    revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX portal_sessions_member ON portal_sessions (member_id);
CREATE TABLE portal_session_members (
    session_id TEXT NOT NULL REFERENCES portal_sessions (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    guardian   INTEGER NOT NULL DEFAULT 0,         -- 1: reached as the minor's guardian
    PRIMARY KEY (session_id, member_id)
);
CREATE INDEX portal_session_members_member ON portal_session_members (member_id);

-- +goose Down
DROP TABLE portal_session_members;
DROP TABLE portal_sessions;
ALTER TABLE verifications DROP COLUMN claimed_at;
ALTER TABLE verifications DROP COLUMN new_address;
ALTER TABLE verifications DROP COLUMN purpose;
