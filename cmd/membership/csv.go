package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"membership/config"
	"membership/members"
)

// cliActor names the command line in the audit log.
const cliActor = "cli"

// exportCmd: `membership export [filters] [-columns a,b] [-excel]`, CSV to stdout. The filters
// are the member list's, with the same names as its query parameters.
func exportCmd(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var q members.ListQuery
	fs.StringVar(&q.Q, "q", "", "search names, e-mail and phone")
	fs.StringVar(&q.Status, "status", "", "pending, active, paused, archived (comma-separated) or all; default: not archived")
	fs.StringVar(&q.Plan, "plan", "", "plan name or id")
	fs.StringVar(&q.Rank, "rank", "", `rank, e.g. "3. Kyu"`)
	feeOverdue := fs.String("fee_overdue", "", "true or false")
	verified := fs.String("verified", "", "true or false: phone and e-mail both confirmed")
	endsWithin := fs.String("ends_within_days", "", "membership ends within this many days")
	ids := fs.String("ids", "", "only these member ids, comma-separated")
	columns := fs.String("columns", "", "columns, comma-separated (default: "+strings.Join(members.DefaultCSVColumns(), ",")+"; all: "+strings.Join(members.CSVColumns(), ",")+")")
	excel := fs.Bool("excel", false, "for Excel: UTF-8 byte order mark and ; between fields")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected %q (filters are flags: -status active)", fs.Arg(0))
	}
	var err error
	if q.FeeOverdue, err = optionalBool("fee_overdue", *feeOverdue); err != nil {
		return err
	}
	if q.Verified, err = optionalBool("verified", *verified); err != nil {
		return err
	}
	if *endsWithin != "" {
		n, err := strconv.Atoi(*endsWithin)
		if err != nil {
			return fmt.Errorf("export: -ends_within_days %q is not a number", *endsWithin)
		}
		q.EndsWithinDays = &n
	}
	for _, part := range splitList(*ids) {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return fmt.Errorf("export: -ids: %q is not a member id", part)
		}
		q.IDs = append(q.IDs, id)
	}
	opts := members.CSVOptions{Columns: splitList(*columns), Excel: *excel}
	return withMembers(ctx, e, func(s *members.Store, _ *config.Config) error {
		w := bufio.NewWriter(e.stdout)
		if err := members.WriteCSV(ctx, w, s, q, opts); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return w.Flush()
	})
}

func optionalBool(name, v string) (*bool, error) {
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, fmt.Errorf("export: -%s %q: use true or false", name, v)
	}
	return &b, nil
}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// importCmd: `membership import FILE [-dry-run] [-on-existing skip|update]` ("-" reads stdin)
// prints the report; any problem means nothing was imported, and the command fails.
func importCmd(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dryRun := fs.Bool("dry-run", false, "check the file and report, write nothing")
	onExisting := fs.String("on-existing", members.OnExistingSkip, "rows for existing members (same id or e-mail): skip or update")
	// Flags may stand before or after the file.
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return errors.New("usage: membership import FILE [-dry-run] [-on-existing skip|update]")
	}
	path := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected %q", fs.Arg(0))
	}
	var in io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	return withMembers(ctx, e, func(s *members.Store, cfg *config.Config) error {
		file, err := members.ParseImport(in, members.ImportLimits{MaxBytes: cfg.Import.MaxBytes, MaxRows: cfg.Import.MaxRows})
		if err != nil {
			return fmt.Errorf("import %s: %w", path, err)
		}
		rep, err := s.Import(ctx, cliActor, file, members.ImportOptions{OnExisting: *onExisting, DryRun: *dryRun})
		if err != nil {
			return fmt.Errorf("import %s: %w", path, err)
		}
		for _, p := range rep.Errors {
			fmt.Fprintln(e.stdout, importProblemLine(p))
		}
		verb := "imported"
		if *dryRun || len(rep.Errors) > 0 {
			verb = "would import"
		}
		fmt.Fprintf(e.stdout, "%s %s: %d created, %d updated, %d unchanged, %d skipped\n",
			verb, path, rep.Created, rep.Updated, rep.Unchanged, rep.Skipped)
		if len(rep.Errors) > 0 {
			return fmt.Errorf("import %s: %d problems; nothing was imported", path, len(rep.Errors))
		}
		if *dryRun {
			fmt.Fprintln(e.stdout, "dry run: nothing was written")
		}
		return nil
	})
}

// importProblemLine writes a problem as `line 3, column "E-Mail" (email): …`.
func importProblemLine(p members.ImportError) string {
	var where []string
	if p.Line > 0 {
		where = append(where, "line "+strconv.Itoa(p.Line))
	}
	switch {
	case p.Column != "":
		where = append(where, fmt.Sprintf("column %q (%s)", p.Column, p.Field))
	case p.Field != "":
		where = append(where, p.Field)
	}
	if len(where) == 0 {
		return p.Message
	}
	return strings.Join(where, ", ") + ": " + p.Message
}
