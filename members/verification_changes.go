package members

import "sync"

// runChanges wakes whoever waits in this process for a verification run to change: a code
// checked, a run verified or ended. A run changed by another process (several servers on one
// PostgreSQL database) wakes nobody here, so a waiter looks at the run now and then as well.
type runChanges struct {
	mu   sync.Mutex
	next chan struct{} // closed at the next change; nil until someone waits
}

// Changed returns a channel that is closed when any run changes next. Take it before reading
// the run, so that a change between the read and the wait is not missed.
func (v *Verifications) Changed() <-chan struct{} {
	c := &v.changes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == nil {
		c.next = make(chan struct{})
	}
	return c.next
}

// changed wakes the waiters; called after a change is committed.
func (v *Verifications) changed() {
	c := &v.changes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next != nil {
		close(c.next)
		c.next = nil
	}
}
