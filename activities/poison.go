package activities

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"membership/notify"
)

// Poison work: a send or a render that panics for one member must not take the batch with it
// (a panic in a send's goroutine would end the process; one in the activity would fail the
// whole batch again at every retry). Each member's render and send runs under recovered, which
// turns a panic into that member's permanent failure — reported with the reason, never retried,
// the stack in the log; "retry failed" sends to them again once the cause is mended.

// codePanic is the ledger's error code of a notice whose render or send panicked.
const codePanic = "panic"

// recovered runs f and turns a panic in it into a permanent error naming it.
func (n *Notices) recovered(provider string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			n.log().Error("a notice's render or send panicked", slog.String("provider", provider),
				slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = &notify.Error{Provider: provider, Code: codePanic, Permanent: true,
				Message: fmt.Sprintf("panic: %v (a bug; the log has its stack)", r)}
		}
	}()
	return f()
}
