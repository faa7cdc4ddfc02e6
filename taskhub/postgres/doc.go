// Package postgres is a durabletask-go task hub on PostgreSQL that several
// processes can share.
//
// It implements backend.Backend with the semantics of the engine's own SQLite
// backend (which it ports), over a real pgx connection pool, and adds what a
// shared database needs:
//
//   - Work is claimed with SELECT … FOR UPDATE SKIP LOCKED, so processes never
//     wait on each other's claims, and every claim carries a lock expiry.
//     Each process renews the locks it holds, so a process that dies loses its
//     work items to the others within Options.LockTimeout.
//   - Every write that creates work sends a NOTIFY; one listening connection
//     per process wakes that process's idle fetches, and GetOrchestrationWorkItem
//     and GetActivityWorkItem long-poll instead of returning ErrNoWorkItems, so
//     the engine's workers never fall into their 5-second idle backoff.
//
// # Tables
//
// The tables and columns are those of the engine's SQLite schema (Instances,
// History, NewEvents, NewTasks), created with unquoted identifiers: PostgreSQL
// folds them to lower case, so an unquoted query such as
// SELECT InstanceID, RuntimeStatus FROM Instances reads either backend.
// Times are timestamptz and payloads bytea (SQLite stores text and blobs).
// Instances.ParentInstanceID is filled for sub-orchestrations, which the
// SQLite backend leaves NULL. The schema is versioned: embedded goose
// migrations, applied by CreateTaskHub, recorded in taskhub_goose_version.
package postgres
