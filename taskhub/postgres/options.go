package postgres

import (
	"fmt"
	"time"
)

// Options configure a Backend. The zero value is ready to use.
type Options struct {
	// Schema, when set, holds the task hub's tables: CreateTaskHub creates it
	// and every connection puts it alone on its search_path. Empty keeps the
	// server's search_path (normally public).
	Schema string

	// LockTimeout is how long an orchestration stays locked by a process that
	// stopped renewing its locks (it died or lost the database) before another
	// process may take it over. Default 30 s.
	LockTimeout time.Duration

	// ActivityLockTimeout is the same for activity work items. Default
	// LockTimeout.
	ActivityLockTimeout time.Duration

	// PollInterval bounds how long an idle fetch waits for a notification
	// before it asks the database again: it covers a missed notification and
	// the expiry of another process's lock. Default 1 s.
	PollInterval time.Duration

	// ActivityPrefetch is how many activity tasks one claim takes at most:
	// the first goes to the worker that asked, the others wait, locked by
	// this process, for its next requests. Default 4.
	ActivityPrefetch int

	// MaxConns caps the connection pool; 0 keeps the DSN's pool_max_conns,
	// or else 12. The notification listener and DB use connections of
	// their own, outside the pool.
	MaxConns int32
}

// withDefaults fills the zero fields and rejects values that cannot work.
func (o Options) withDefaults() (Options, error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = 30 * time.Second
	}
	if o.ActivityLockTimeout == 0 {
		o.ActivityLockTimeout = o.LockTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = time.Second
	}
	if o.ActivityPrefetch == 0 {
		o.ActivityPrefetch = 4
	}
	// Locks are renewed every third of the shorter timeout; below this a
	// renewal could not be sure to land before the lock expires.
	const minLock = 300 * time.Millisecond
	switch {
	case o.LockTimeout < minLock:
		return o, fmt.Errorf("lock timeout %v is below %v", o.LockTimeout, minLock)
	case o.ActivityLockTimeout < minLock:
		return o, fmt.Errorf("activity lock timeout %v is below %v", o.ActivityLockTimeout, minLock)
	case o.PollInterval < 0:
		return o, fmt.Errorf("poll interval %v is negative", o.PollInterval)
	case o.ActivityPrefetch < 0:
		return o, fmt.Errorf("activity prefetch %d is negative", o.ActivityPrefetch)
	case o.MaxConns < 0:
		return o, fmt.Errorf("max conns %d is negative", o.MaxConns)
	}
	return o, nil
}

// renewEvery is how often a process extends the locks it holds.
func (o Options) renewEvery() time.Duration {
	return min(o.LockTimeout, o.ActivityLockTimeout) / 3
}
