package taskhubtest_test

import (
	"path/filepath"
	"testing"

	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/backend/sqlite"

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
