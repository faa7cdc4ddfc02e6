package taskhubtest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/backend/sqlite"

	"membership/taskhub"
	"membership/taskhub/taskhubtest"
)

// sqliteDSN opens the engine's SQLite backend the way the project does (see
// DESIGN.md): WAL, a busy timeout and NORMAL synchronisation.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
}

func newSQLite(t testing.TB) backend.Backend {
	path := filepath.Join(t.TempDir(), "taskhub.db")
	return sqlite.NewSqliteBackend(sqlite.NewSqliteOptions(sqliteDSN(path)), taskhubtest.EngineLogger(taskhubtest.Logger()))
}

// TestConformanceSQLite holds the suite to the engine's own SQLite backend,
// the behaviour it describes.
func TestConformanceSQLite(t *testing.T) {
	taskhubtest.RunConformance(t, func(t *testing.T) backend.Backend { return newSQLite(t) })
}

// sqliteBackends opens n backends on one new SQLite file: the engine's
// backend as it is (an idle worker asks it again every 50 ms), or with
// longPoll as the application runs it, through taskhub.Open (which adds
// long-polling fetches).
func sqliteBackends(b *testing.B, n int, longPoll bool) []backend.Backend {
	path := filepath.Join(b.TempDir(), "taskhub.db")
	var out []backend.Backend
	for range n {
		if !longPoll {
			out = append(out, sqlite.NewSqliteBackend(sqlite.NewSqliteOptions(sqliteDSN(path)), taskhubtest.EngineLogger(taskhubtest.Logger())))
			continue
		}
		h, err := taskhub.Open(context.Background(), taskhub.Options{DSN: path}, taskhubtest.Logger())
		if err != nil {
			b.Fatalf("open task hub: %v", err)
		}
		b.Cleanup(func() {
			if err := h.Shutdown(context.Background()); err != nil {
				b.Errorf("shut down task hub: %v", err)
			}
		})
		out = append(out, h.Backend())
	}
	return out
}

// BenchmarkSQLiteFanOut is the baseline for the PostgreSQL task hub's
// BenchmarkFanOut: the engine's SQLite backend, as is and long-polling.
func BenchmarkSQLiteFanOut(b *testing.B) {
	for _, longPoll := range []bool{false, true} {
		b.Run(fmt.Sprintf("longpoll=%t", longPoll), func(b *testing.B) {
			taskhubtest.RunFanOutBenchmarks(b, func(b *testing.B, n int) []backend.Backend {
				return sqliteBackends(b, n, longPoll)
			})
		})
	}
}

// BenchmarkSQLiteReaction measures event-to-reaction latency after 30 s idle.
func BenchmarkSQLiteReaction(b *testing.B) {
	for _, longPoll := range []bool{false, true} {
		b.Run(fmt.Sprintf("longpoll=%t", longPoll), func(b *testing.B) {
			taskhubtest.BenchReaction(b, sqliteBackends(b, 1, longPoll)[0], 30*time.Second)
		})
	}
}
