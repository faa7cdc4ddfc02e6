// Command membership runs the club administration: `membership` (= serve) and its maintenance
// subcommands. main only wires; every part is built from explicit arguments in run.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	_ "time/tzdata" // the club's time zone must resolve on machines without a zoneinfo folder
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "membership:", err)
		os.Exit(1)
	}
}

// env is what a subcommand gets from the process: arguments after the subcommand's name, the
// standard streams, and the loaded configuration.
type env struct {
	args       []string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	configPath string
	environ    []string
}

type command struct {
	name, usage string
	run         func(ctx context.Context, e env) error
}

func commands() []command {
	return []command{
		{"serve", "serve the app (the default)", serve},
		{"migrate", "apply pending app database migrations", migrate},
		{"admin", "admin add EMAIL — add an admin; the password is read from stdin", adminCmd},
		{"token", "token create NAME [-role admin|trainer] — print a new API token once", tokenCmd},
		{"backup", "backup DIR — consistent copies of both stores, also while serving", backup},
		{"restore", "restore DIR — put the newest backup in DIR back as the stores; refused while serving", restore},
		{"seed-demo", "seed-demo [-members N] [-seed S] — fill the app database with a demo club", seedDemo},
		{"export", "export [-status S] [-q Q] [-plan P] … [-columns a,b] [-excel] — members as CSV to stdout", exportCmd},
		{"import", "import FILE [-dry-run] [-on-existing skip|update] — import members from CSV; prints the report", importCmd},
		{"bench", "bench [-members N] [-provider outbox|smtp] [-processes N [-postgres URL] [-kill-at F]] [-memprofile F] — whole-system figures: a campaign's rate, peak memory, repeats, the engine baseline (bench -h)", bench},
	}
}

// run dispatches to a subcommand. -config PATH may stand before or after the subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) error {
	configPath, rest, err := extractConfigFlag(args)
	if err != nil {
		return err
	}
	name := "serve"
	if len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env{args: rest, stdin: stdin, stdout: stdout, stderr: stderr, configPath: configPath, environ: environ})
		}
	}
	printUsage(stderr)
	return fmt.Errorf("unknown subcommand %q", name)
}

func extractConfigFlag(args []string) (string, []string, error) {
	var path string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-config" || a == "--config":
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("%s needs a file path", a)
			}
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "-config=") || strings.HasPrefix(a, "--config="):
			_, path, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	return path, rest, nil
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: membership [-config PATH] [subcommand] [arguments]")
	fmt.Fprintln(w, "subcommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
}
