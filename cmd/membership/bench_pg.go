package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchPostgres makes two empty databases on the PostgreSQL server at serverURL, one for the
// app and one for the task hub, so that runs never see each other's rows; drop removes them
// (unless keep, which prints their names instead).
func benchPostgres(ctx context.Context, serverURL string, keep bool, out io.Writer) (appDSN, hubDSN string, drop func(), err error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", "", nil, fmt.Errorf("bench: -postgres: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(cctx, serverURL)
	if err != nil {
		return "", "", nil, fmt.Errorf("bench: -postgres: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var b [6]byte
	_, _ = rand.Read(b[:])
	base := "membership_bench_" + hex.EncodeToString(b[:])
	names := []string{base + "_app", base + "_hub"}
	var made []string
	drop = func() {
		if keep {
			fmt.Fprintf(out, "postgres databases kept: %v\n", made)
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			fmt.Fprintf(out, "bench: drop databases %v: %v\n", made, err)
			return
		}
		defer c.Close(ctx)
		for _, n := range made {
			if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)"); err != nil {
				fmt.Fprintf(out, "bench: drop database %s: %v\n", n, err)
			}
		}
	}
	for _, n := range names {
		if _, err := admin.Exec(cctx, "CREATE DATABASE "+n); err != nil {
			drop()
			return "", "", nil, fmt.Errorf("bench: create database %s: %w", n, err)
		}
		made = append(made, n)
	}
	dsn := func(name string) string {
		v := *u
		v.Path = "/" + name
		return v.String()
	}
	return dsn(names[0]), dsn(names[1]), drop, nil
}
