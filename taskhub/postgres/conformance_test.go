package postgres_test

import (
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// quiet is a poll interval long enough that only notifications wake idle
// fetches within a test: a lost notification fails the test instead of
// being covered by polling.
const quiet = 10 * time.Minute

// TestConformance holds the backend to the engine's SQLite semantics. Its
// fetches poll only every quiet interval, so a lost wake-up fails a case at
// the suite's one-minute wait instead of passing late: CI once caught a
// retry's 10 ms timer slept through a poll that way (a timer falling due
// between the claim and the look for the next timer; TestShortTimersFireOnTime).
func TestConformance(t *testing.T) {
	t.Parallel()
	taskhubtest.RunConformance(t, func(t *testing.T) backend.Backend {
		return open(t, newSchema(t), postgres.Options{PollInterval: quiet})
	})
}
