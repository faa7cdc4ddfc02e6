package taskhub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrDamaged is what CheckSQLiteFile answers for a file that is no sound task hub.
var ErrDamaged = errors.New("damaged")

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
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'Instances'").Scan(&n); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: no Instances table: not a task hub", ErrDamaged)
	}
	return nil
}
