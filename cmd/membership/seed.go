package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"

	"membership/config"
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
	err := withMembers(ctx, e, func(store *members.Store, _ *config.Config) error {
		return store.SeedDemo(ctx, *n, rand.New(rand.NewPCG(*seed, *seed)))
	})
	if err != nil {
		return fmt.Errorf("seed-demo: %w", err)
	}
	fmt.Fprintf(e.stdout, "added a demo club of %d members\n", *n)
	return nil
}
