package taskhub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// BackupSQLite writes a consistent copy of the SQLite task hub at dsn to path with VACUUM INTO,
// through modernc's SQLite (the copy the engine links), so it is safe while a server runs.
func BackupSQLite(ctx context.Context, dsn, path string) error {
	full, err := sqliteDSN(dsn)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already", path)
	}
	db, err := sql.Open("sqlite", full)
	if err != nil {
		return fmt.Errorf("open task hub for backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return errors.Join(fmt.Errorf("backup task hub to %s: %w", path, err), db.Close())
	}
	return db.Close()
}
