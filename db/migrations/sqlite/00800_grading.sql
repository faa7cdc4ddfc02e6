-- +goose Up
-- Training attendance, grading rules, exams and their invitations (issue 18). The rules are
-- the club's data and live here, not in config.yaml.

CREATE TABLE training_groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    schedule   TEXT NOT NULL DEFAULT '',                 -- "Mo 17:00, Do 17:00"
    created_at DATETIME NOT NULL
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES training_groups (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    UNIQUE (group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (member_id);

-- One training of one member. client_key is the check-in page's key of one tap: a retried tap
-- carries the same key and is never counted twice; the (group, member, day) key catches two
-- taps on two phones.
CREATE TABLE attendances (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES training_groups (id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    trained_on  TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    client_key  TEXT UNIQUE,
    UNIQUE (group_id, member_id, trained_on)
);
CREATE INDEX attendances_member_day ON attendances (member_id, trained_on);

-- The rule for reaching rank; a rank without a row uses the built-in defaults.
CREATE TABLE grading_rules (
    rank          TEXT PRIMARY KEY,
    min_months    INTEGER NOT NULL CHECK (min_months >= 0),
    min_trainings INTEGER NOT NULL CHECK (min_trainings >= 0),
    min_age       INTEGER NOT NULL DEFAULT 0 CHECK (min_age >= 0)
);

CREATE TABLE exams (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    exam_on         TEXT NOT NULL,
    rank_fee_amount INTEGER NOT NULL DEFAULT 0 CHECK (rank_fee_amount >= 0),
    currency        TEXT NOT NULL DEFAULT 'EUR',
    deadline        DATETIME NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('planned', 'inviting', 'waiting', 'closed', 'cancelled')),
    instance_id     TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE exam_invitations (
    id           INTEGER PRIMARY KEY,
    exam_id      INTEGER NOT NULL REFERENCES exams (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    target_rank  TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'accepted', 'declined', 'no_answer')),
    answer_token TEXT NOT NULL UNIQUE,
    answered_at  DATETIME,
    reminded_at  DATETIME,
    fee_id       INTEGER REFERENCES fees (id) ON DELETE SET NULL,
    result       TEXT NOT NULL DEFAULT '' CHECK (result IN ('', 'passed', 'failed')),
    result_at    DATETIME,
    UNIQUE (exam_id, member_id)
);
CREATE INDEX exam_invitations_member ON exam_invitations (member_id);

-- +goose Down
DROP TABLE exam_invitations;
DROP TABLE exams;
DROP TABLE grading_rules;
DROP TABLE attendances;
DROP TABLE group_members;
DROP TABLE training_groups;
