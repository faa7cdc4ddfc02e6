package taskhub

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"membership/db/sqlitefile"
)

// ErrDamaged is what CheckSQLiteFile answers for a file that is no sound task hub.
var ErrDamaged = sqlitefile.ErrDamaged

// CheckSQLiteFile runs PRAGMA integrity_check on the SQLite task hub file at path (a backup to
// restore, say) and checks that it holds the engine's tables. It reads through modernc's SQLite,
// the copy the engine links.
func CheckSQLiteFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	return sqlitefile.Check(ctx, db, "Instances", "a task hub")
}
