// Package postgres is a durabletask-go task hub on PostgreSQL that several
// processes can share.
//
// It implements backend.Backend with the semantics of the engine's own SQLite
// backend (which it ports, and which the taskhubtest conformance suite holds
// both to), over a pgx connection pool, and adds what a shared database needs:
//
//   - Work is claimed with SELECT … FOR UPDATE SKIP LOCKED, so processes never
//     wait on each other's claims, and every claim carries a lock expiry
//     (Options.LockTimeout, Options.ActivityLockTimeout). Each started process
//     renews the locks it holds every third of the timeout, so a step or an
//     activity may take longer than the timeout, while the work of a process
//     that died is taken over by the others once its locks expire.
//   - A write that creates work is announced with NOTIFY; one listening
//     connection per started process wakes that process's idle fetches, and
//     GetOrchestrationWorkItem and GetActivityWorkItem long-poll instead of
//     returning ErrNoWorkItems, so the engine's workers never fall into their
//     idle backoff of up to 5 s. Options.PollInterval bounds a wait, for what
//     no notification announces (an expired lock, a lost notification).
//   - One claim takes up to Options.ActivityPrefetch activity tasks, and the
//     results of activities that finish together are saved in one statement:
//     the engine's worker fetches one item at a time, and a round trip per
//     claim or result would bound a fan-out's speed.
//
// # Durability
//
// The pool's connections commit with synchronous_commit = off: the claims,
// completions and abandons of the engine's workers do not wait for the WAL
// flush (3.5 ms here, against 0.4 ms for the rest of such a transaction). A
// crash of the database server may lose their last fraction of a second; a
// consistent prefix of transactions survives, and what was lost is done again
// (an activity may run once more, which activities must allow for anyway).
// That matches the SQLite task hub in WAL mode with synchronous=NORMAL.
// Writes a client is told about — a new instance, a raised event, a purge —
// wait for the flush.
//
// # Tables
//
// The tables and columns are those of the engine's SQLite schema (Instances,
// History, NewEvents, NewTasks), created with unquoted identifiers:
// PostgreSQL folds them to lower case, so an unquoted query such as
// SELECT InstanceID, RuntimeStatus FROM Instances reads either backend.
// Times are timestamptz and payloads bytea (SQLite stores text and blobs);
// statuses are stored as the SQLite backend stores them (RUNNING,
// COMPLETED, …). Instances.ParentInstanceID is filled for sub-orchestrations,
// which the SQLite backend leaves NULL. The schema is versioned: embedded
// goose migrations, applied by CreateTaskHub, recorded in
// taskhub_goose_version. Backend.DB gives readers a database/sql handle on
// the same tables; whoever writes them directly calls Backend.Signal.
package postgres
