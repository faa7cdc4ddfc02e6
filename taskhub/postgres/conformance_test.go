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

// TestConformance holds the backend to the engine's SQLite semantics.
func TestConformance(t *testing.T) {
	t.Parallel()
	taskhubtest.RunConformance(t, func(t *testing.T) backend.Backend {
		return open(t, newSchema(t), postgres.Options{PollInterval: quiet})
	})
}
