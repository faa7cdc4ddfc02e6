package db

import (
	"context"
	"fmt"
	"os"

	"gorm.io/gorm"
)

// Backup writes a consistent copy of a SQLite app database to path with VACUUM INTO, which reads
// one snapshot and so is safe while the server writes.
func Backup(ctx context.Context, gdb *gorm.DB, path string) error {
	if Dialect(gdb) != "sqlite" {
		return fmt.Errorf("backup: only SQLite; back PostgreSQL up with pg_dump")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already", path)
	}
	if err := gdb.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup app database to %s: %w", path, err)
	}
	return nil
}
