package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	_ "github.com/mattn/go-sqlite3" // the app's copy of SQLite, as db.Open uses it
)

// ErrDamaged is what CheckSQLiteFile answers for a file that is no sound app database.
var ErrDamaged = errors.New("damaged")

// CheckSQLiteFile runs PRAGMA integrity_check on the SQLite app database file at path (a backup
// to restore, say) and checks that it holds the app's tables. It opens the file read-only through
// the app's own copy of SQLite: the task hub's copy must never open app database files.
func CheckSQLiteFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	sqlDB, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer sqlDB.Close()
	return integrityCheck(ctx, sqlDB, "members")
}

// integrityCheck runs PRAGMA integrity_check on db and looks for table.
func integrityCheck(ctx context.Context, db *sql.DB, table string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
		}
		return fmt.Errorf("%w: integrity_check: %s", ErrDamaged, strings.Join(problems, "; "))
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: no %s table: not an app database", ErrDamaged, table)
	}
	return nil
}
