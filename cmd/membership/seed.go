package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"

	"membership/db"
	"membership/members"
)

// seedDemo fills the app database with a demo club, so the UI can be seen full on a first run.
func seedDemo(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("seed-demo", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	n := fs.Int("members", 300, "how many members")
	seed := fs.Uint64("seed", 1, "random seed (the same seed gives the same club)")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	if *n < 1 {
		return errors.New("seed-demo: -members must be at least 1")
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr)
	gdb, err := openAppDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	store := members.NewStore(gdb, membersOptions(cfg), log)
	if err := store.SeedDemo(ctx, *n, rand.New(rand.NewPCG(*seed, *seed))); err != nil {
		return fmt.Errorf("seed-demo: %w", err)
	}
	fmt.Fprintf(e.stdout, "added a demo club of %d members\n", *n)
	return nil
}
