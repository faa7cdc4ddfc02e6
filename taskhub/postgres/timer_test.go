package postgres_test

import (
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// TestShortTimersFireOnTime: the idle fetch claims and looks ahead to the
// next timer in one look at the tables, so no timer waits for the poll (see
// taskhubtest.CheckTimersOnTime). A retry's 10 ms timer once hung a
// conformance case that way; before the fix 2 to 5 % of the chain's timers
// slept through the poll, almost all of 6.5 to 9.5 ms: a step's commit, the
// 5 ms settle and one claim.
func TestShortTimersFireOnTime(t *testing.T) {
	t.Parallel()
	be := open(t, newSchema(t), postgres.Options{PollInterval: taskhubtest.TimerChainPoll})
	r := task.NewTaskRegistry()
	if err := taskhubtest.RegisterTimerChain(r); err != nil {
		t.Fatal(err)
	}
	taskhubtest.CheckTimersOnTime(t, taskhubtest.StartWorker(t, be, r, 4))
}
