package taskhub

import (
	"context"
	"sync"
	"time"
)

// A Waker carries the news "work may now exist" to work-item fetches that
// long-poll instead of returning backend.ErrNoWorkItems.
//
// durabletask-go's workers poll, back off up to 5 s while idle and sleep on a
// timer nothing interrupts; a fetch that blocks until it is woken keeps them
// from ever reaching that backoff. Whatever can create work calls Signal:
// the hub's own backend decorator does so after every write that can
// (a new instance, a raised event, a completed or abandoned work item); a
// backend shared by several processes would also call it for the writes of
// the others (say, from PostgreSQL LISTEN/NOTIFY).
//
// A fetch takes Changed before it asks the store and waits on it afterwards,
// so a Signal that lands between the question and the wait is not lost:
//
//	changed := w.Changed()
//	wi, err := be.GetOrchestrationWorkItem(ctx)
//	if errors.Is(err, backend.ErrNoWorkItems) {
//		select {
//		case <-changed: // ask again
//		case <-timer.C: // next durable timer due, or the poll interval
//		case <-ctx.Done():
//		}
//	}
type Waker interface {
	// Signal wakes every fetch waiting on a channel from Changed. It never
	// blocks and may be called from any goroutine, any number of times.
	Signal()
	// Changed returns a channel that the next Signal closes.
	Changed() <-chan struct{}
}

// A TimerSource tells a long-polling fetch when work that is already stored
// becomes visible: a durable timer falls due, or a work item abandoned with
// a delay may be retried. Without it a fetch only notices such work at its
// next poll.
type TimerSource interface {
	// NextDue returns the earliest time after after at which a stored event
	// becomes visible; ok is false when none is scheduled. A fetch passes
	// the time it began its question, so that a timer falling due while it
	// asked is still found, though no longer in the future.
	NextDue(ctx context.Context, after time.Time) (due time.Time, ok bool, err error)
}

// Broadcast is the in-process Waker. Its zero value is not usable: call
// NewBroadcast.
type Broadcast struct {
	mu sync.Mutex
	ch chan struct{}
	// taken records whether anyone holds ch: a Signal with no waiter then
	// costs neither a close nor an allocation, which matters because every
	// completed work item signals.
	taken bool
}

// NewBroadcast returns a Waker that wakes waiters in this process.
func NewBroadcast() *Broadcast {
	return &Broadcast{ch: make(chan struct{})}
}

// Signal implements Waker.
func (b *Broadcast) Signal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.taken {
		return
	}
	close(b.ch)
	b.ch = make(chan struct{})
	b.taken = false
}

// Changed implements Waker.
func (b *Broadcast) Changed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.taken = true
	return b.ch
}
