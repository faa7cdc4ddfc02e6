package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"gorm.io/gorm"

	"membership/config"
	"membership/web/auth"
)

func authOptions(cfg *config.Config) auth.Options {
	return auth.Options{
		SessionIdle:   cfg.Auth.SessionIdle.Std(),
		SessionMax:    cfg.Auth.SessionMax.Std(),
		LoginAttempts: cfg.Auth.LoginAttempts,
		LoginWindow:   cfg.Auth.LoginWindow.Std(),
	}
}

// adminCmd: `membership admin add EMAIL`, password from the first line of stdin.
func adminCmd(ctx context.Context, e env) error {
	if len(e.args) != 2 || e.args[0] != "add" {
		return errors.New("usage: membership admin add EMAIL  (the password is read from stdin)")
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("admin add: give the password on stdin")
	}
	password := strings.TrimRight(line, "\r\n")
	return withAuth(ctx, e, func(s *auth.Store) error {
		u, err := s.AddUser(ctx, e.args[1], "", auth.RoleAdmin, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "admin %s added (user %d)\n", u.Email, u.ID)
		return nil
	})
}

// tokenCmd: `membership token create NAME [-role admin|trainer]`, printing the token once.
func tokenCmd(ctx context.Context, e env) error {
	if len(e.args) < 2 || e.args[0] != "create" {
		return errors.New("usage: membership token create NAME [-role admin|trainer]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	role := fs.String("role", auth.RoleAdmin, "admin or trainer")
	// The name comes first; flags may follow it.
	name := e.args[1]
	if err := fs.Parse(e.args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token create: unexpected %q", fs.Arg(0))
	}
	return withAuth(ctx, e, func(s *auth.Store) error {
		token, _, err := s.CreateToken(ctx, name, *role, nil)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, token)
		return nil
	})
}

func withAuth(ctx context.Context, e env, fn func(*auth.Store) error) error {
	return withAppDB(ctx, e, func(cfg *config.Config, log *slog.Logger, gdb *gorm.DB) error {
		return fn(auth.NewStore(gdb, authOptions(cfg), log))
	})
}
