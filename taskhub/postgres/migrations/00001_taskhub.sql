-- The engine's SQLite schema (backend/sqlite/schema.sql of durabletask-go
-- v0.6.0) in PostgreSQL types. Identifiers stay unquoted, so PostgreSQL folds
-- them to lower case and one unquoted query reads both backends.

-- +goose Up
CREATE TABLE Instances (
    InstanceID       TEXT PRIMARY KEY NOT NULL,
    ExecutionID      TEXT NOT NULL,
    Name             TEXT NOT NULL,
    Version          TEXT NULL,
    RuntimeStatus    TEXT NOT NULL,
    CreatedTime      TIMESTAMPTZ NOT NULL DEFAULT now(),
    LastUpdatedTime  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CompletedTime    TIMESTAMPTZ NULL,
    LockedBy         TEXT NULL,
    LockExpiration   TIMESTAMPTZ NULL,
    Input            TEXT NULL,
    Output           TEXT NULL,
    CustomStatus     TEXT NULL,
    FailureDetails   BYTEA NULL,
    ParentInstanceID TEXT NULL
);

CREATE INDEX IX_Instances_RuntimeStatus ON Instances (RuntimeStatus);
CREATE INDEX IX_Instances_CreatedTime ON Instances (CreatedTime);
-- Lock renewal looks up the few instances that are locked right now.
CREATE INDEX IX_Instances_LockExpiration ON Instances (LockExpiration)
    WHERE LockExpiration IS NOT NULL;

CREATE TABLE History (
    InstanceID     TEXT NOT NULL,
    SequenceNumber BIGINT NOT NULL,
    EventPayload   BYTEA NOT NULL,
    CONSTRAINT PK_History PRIMARY KEY (InstanceID, SequenceNumber)
);

CREATE TABLE NewEvents (
    SequenceNumber BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- order is FIFO
    InstanceID     TEXT NOT NULL,
    ExecutionID    TEXT NULL,
    Timestamp      TIMESTAMPTZ NOT NULL DEFAULT now(),
    VisibleTime    TIMESTAMPTZ NULL, -- for timers and abandoned messages
    DequeueCount   INTEGER NOT NULL DEFAULT 0,
    LockedBy       TEXT NULL,
    EventPayload   BYTEA NOT NULL,
    CONSTRAINT UX_NewEvents UNIQUE (InstanceID, SequenceNumber)
);

-- An idle fetch sleeps until the next timer is due.
CREATE INDEX IX_NewEvents_VisibleTime ON NewEvents (VisibleTime)
    WHERE VisibleTime IS NOT NULL;

CREATE TABLE NewTasks (
    SequenceNumber BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- order is FIFO
    InstanceID     TEXT NOT NULL,
    ExecutionID    TEXT NULL,
    Timestamp      TIMESTAMPTZ NOT NULL DEFAULT now(),
    DequeueCount   INTEGER NOT NULL DEFAULT 0,
    LockedBy       TEXT NULL,
    LockExpiration TIMESTAMPTZ NULL,
    EventPayload   BYTEA NOT NULL
);

-- Purge and id reuse delete an instance's pending tasks.
CREATE INDEX IX_NewTasks_InstanceID ON NewTasks (InstanceID);

-- +goose Down
DROP TABLE NewTasks;
DROP TABLE NewEvents;
DROP TABLE History;
DROP TABLE Instances;
