package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"membership/db"
	"membership/db/sqlitefile"
	"membership/taskhub"
)

// restore puts a backup made by `membership backup DIR` back as the configured stores. It
// refuses while a serve owns the data folder, checks both copies before it touches anything,
// and writes each store under a temporary name first and renames it into place: an interrupted
// restore leaves each store whole, old or new, never a torn file, and running it again
// finishes the job.
func restore(ctx context.Context, e env) error {
	if len(e.args) != 1 {
		return errors.New("usage: membership restore DIR")
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	if cfg.Database.Driver != "sqlite" || cfg.TaskHub.Backend != taskhub.BackendSQLite {
		return errors.New("restore puts SQLite stores back; restore PostgreSQL with pg_restore")
	}
	dir := e.args[0]
	app, hub, err := findBackup(dir)
	if err != nil {
		return err
	}
	appDst, err := sqlitePath(cfg.Database.DSN)
	if err != nil {
		return fmt.Errorf("database.dsn: %w", err)
	}
	hubDst, err := sqlitePath(cfg.TaskHub.DSN)
	if err != nil {
		return fmt.Errorf("taskhub.dsn: %w", err)
	}

	// serve's lock: held, it says an instance runs on this data; taken, it keeps one from
	// starting until the stores are back.
	lock, err := lockDataDir(cfg.Server.DataDir)
	if err != nil {
		return fmt.Errorf("restore refused, nothing was changed: %w", err)
	}
	defer lock.release()

	if err := db.CheckSQLiteFile(ctx, app); err != nil {
		return fmt.Errorf("restore refused, nothing was changed: the backup %s is %w", app, err)
	}
	if err := taskhub.CheckSQLiteFile(ctx, hub); err != nil {
		return fmt.Errorf("restore refused, nothing was changed: the backup %s is %w", hub, err)
	}

	// Both copies land beside their targets first; only then are they renamed into place.
	stores := []struct{ src, dst string }{{hub, hubDst}, {app, appDst}}
	for _, s := range stores {
		if err := copyFileSynced(s.src, s.dst+restoringSuffix); err != nil {
			for _, s := range stores {
				_ = os.Remove(s.dst + restoringSuffix)
			}
			return fmt.Errorf("restore refused, nothing was changed: copy %s: %w", s.src, err)
		}
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	for _, s := range stores {
		kept, err := replaceStore(s.dst+restoringSuffix, s.dst, stamp)
		if err != nil {
			return fmt.Errorf("restore %s: %w (run restore again to finish)", s.dst, err)
		}
		fmt.Fprintf(e.stdout, "restored %s from %s\n", s.dst, s.src)
		if kept != "" {
			fmt.Fprintf(e.stdout, "  the data it replaced is kept as %s\n", kept)
		}
	}
	// The send journal's outcomes are of the replaced database's notices: settled on the
	// restored one, they could mark others sent.
	journal := filepath.Join(cfg.Server.DataDir, "sends")
	if left, err := os.ReadDir(journal); err == nil && len(left) > 0 {
		kept := journal + "-replaced-" + stamp
		if err := os.Rename(journal, kept); err != nil {
			return fmt.Errorf("set the replaced data's send journal aside: %w", err)
		}
		fmt.Fprintf(e.stdout, "  its send journal is kept as %s\n", kept)
	}
	return nil
}

const restoringSuffix = ".restoring"

// findBackup picks the newest pair membership-STAMP.db + taskhub-STAMP.db in dir.
func findBackup(dir string) (app, hub string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", "", fmt.Errorf("read backup folder: %w", err)
	}
	names := map[string]bool{}
	var stamps []string
	for _, en := range entries {
		names[en.Name()] = true
		if s, ok := strings.CutPrefix(en.Name(), "membership-"); ok && strings.HasSuffix(s, ".db") {
			stamps = append(stamps, strings.TrimSuffix(s, ".db"))
		}
	}
	slices.Sort(stamps)
	for _, s := range slices.Backward(stamps) {
		if names["taskhub-"+s+".db"] {
			return filepath.Join(dir, "membership-"+s+".db"), filepath.Join(dir, "taskhub-"+s+".db"), nil
		}
	}
	return "", "", fmt.Errorf("no backup in %s: restore wants membership-STAMP.db and taskhub-STAMP.db as `membership backup` writes them", dir)
}

// sqlitePath is the file a SQLite DSN names (a path or a file: URI).
func sqlitePath(dsn string) (string, error) {
	path, _ := sqlitefile.SplitDSN(dsn)
	if path == "" || path == ":memory:" {
		return "", fmt.Errorf("%q names no file", dsn)
	}
	return path, nil
}

// copyFileSynced copies src to dst and flushes it to disk.
func copyFileSynced(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(err, out.Close())
	}
	if err := out.Sync(); err != nil {
		return errors.Join(err, out.Close())
	}
	return out.Close()
}

// replaceStore renames tmp to dst. The old database and its WAL move aside first: a WAL left
// beside the restored file would be replayed into it and corrupt it. It answers where the old
// database went, if there was one.
func replaceStore(tmp, dst, stamp string) (kept string, err error) {
	aside := dst + ".before-restore-" + stamp
	if _, err := os.Stat(dst); err == nil {
		if err := os.Rename(dst, aside); err != nil {
			return "", err
		}
		kept = aside
	}
	if _, err := os.Stat(dst + "-wal"); err == nil {
		if err := os.Rename(dst+"-wal", aside+"-wal"); err != nil {
			return "", err
		}
	}
	if err := os.Remove(dst + "-shm"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	return kept, syncDir(filepath.Dir(dst))
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
