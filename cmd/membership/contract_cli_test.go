package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // reads the backup copies, as the task hub's own SQLite would
)

// cliResult is what a subcommand run beside the server printed, and how it ended.
type cliResult struct {
	out, errOut string
	err         error // non-nil: main prints it and exits with status 1
}

// cliWith runs a subcommand beside the serving process, on its configuration, with stdin, and
// returns what happened without judging it.
func (s *contractServer) cliWith(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), contractWait)
	defer cancel()
	err := run(ctx, args, strings.NewReader(stdin), &out, &errOut, append(os.Environ(), s.child.cmd.Env...))
	return cliResult{out: out.String(), errOut: errOut.String(), err: err}
}

// TestContractCLI runs every subcommand DESIGN.md's "Command line (contract)" names beside one
// serving process and checks its documented effect from outside: over HTTP, on stdout, in the
// files it writes.
func TestContractCLI(t *testing.T) {
	s := startContract(t)

	t.Run("admin add reads the password from stdin", func(t *testing.T) {
		const email, password = "sensei@example.org", "a long password for the contract"
		r := s.cliWith(t, password+"\n", "admin", "add", email)
		if r.err != nil {
			t.Fatalf("admin add: %v\n%s", r.err, r.errOut)
		}
		b := s.anonymous(t)
		wantStatus(t, "sign in with the password given on stdin", b.post(t, "/login", url.Values{"email": {email}, "password": {password}}), http.StatusSeeOther)
		wantStatus(t, "the members page as the new admin", b.get(t, "/members"), http.StatusOK)
		wantStatus(t, "a wrong password", s.anonymous(t).post(t, "/login", url.Values{"email": {email}, "password": {"not it"}}), http.StatusUnauthorized)
	})

	t.Run("token create -role trainer reads but cannot change", func(t *testing.T) {
		token := s.cli(t, "token", "create", "contract reader", "-role", "trainer")
		if token == "" || strings.ContainsAny(token, " \n") {
			t.Fatalf("token create printed %q, want the token alone", token)
		}
		wantStatus(t, "a trainer lists members", s.api(t, token, http.MethodGet, "/api/v1/members", nil), http.StatusOK)
		wantProblem(t, "a trainer creates a member", s.api(t, token, http.MethodPost, "/api/v1/members",
			map[string]any{"first_name": "No", "last_name": "Write"}), http.StatusForbidden)
		// Only the token's hash is stored: the printed token is in neither file of the database.
		for _, f := range []string{"membership.db", "membership.db-wal"} {
			b, err := os.ReadFile(filepath.Join(s.dir, f))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(token)) {
				t.Errorf("%s holds the token in plain text", f)
			}
		}
	})

	// Members for export, import and backup, made through the API.
	for _, m := range []map[string]any{
		{"first_name": "Aiko", "last_name": "Export", "email": "aiko.export@example.org", "status": "active"},
		{"first_name": "Bert", "last_name": "Export", "email": "bert.export@example.org", "status": "paused"},
		{"first_name": "Cleo", "last_name": "Export", "email": "cleo.export@example.org", "status": "paused"},
		{"first_name": "Dana", "last_name": "Other", "email": "dana.other@example.org", "status": "paused"},
	} {
		wantStatus(t, "create member", s.api(t, s.Admin, http.MethodPost, "/api/v1/members", m), http.StatusCreated)
	}

	t.Run("export with filters as flags", func(t *testing.T) {
		got := csvColumn(t, s.cli(t, "export", "-status", "paused", "-q", "Export"), "email")
		want := []string{"bert.export@example.org", "cleo.export@example.org"}
		if !slices.Equal(got, want) {
			t.Errorf("export -status paused -q Export: e-mails %v, want %v", got, want)
		}
		if r := s.cliWith(t, "", "export", "-status", "gone"); r.err == nil {
			t.Error("export -status gone: no error")
		}
	})

	t.Run("import FILE", func(t *testing.T) {
		dir := t.TempDir()
		good := filepath.Join(dir, "good.csv")
		writeTestFile(t, good, "first_name,last_name,email,status\nEmil,Import,emil.import@example.org,active\nFrida,Import,frida.import@example.org,active\n")
		if out := s.cli(t, "import", good); !strings.Contains(out, "2 created") {
			t.Errorf("import printed %q, want 2 created", out)
		}
		if got := listEmails(t, s, "q=Import"); !slices.Equal(got, []string{"emil.import@example.org", "frida.import@example.org"}) {
			t.Errorf("after the import the API lists %v", got)
		}

		bad := filepath.Join(dir, "bad.csv")
		writeTestFile(t, bad, "first_name,last_name,email,status\nGreta,Fehler,greta@example.org,active\nHans,,hans@example.org,active\n")
		r := s.cliWith(t, "", "import", bad)
		if r.err == nil {
			t.Fatalf("import of a bad row succeeded:\n%s", r.out)
		}
		if !strings.Contains(r.out+r.err.Error(), "line 3") {
			t.Errorf("import of a bad row on line 3 said %q / %v", r.out, r.err)
		}
		if got := listEmails(t, s, "q=Fehler"); len(got) != 0 {
			t.Errorf("a file with a bad row wrote %v", got)
		}
	})

	t.Run("migrate beside the server", func(t *testing.T) {
		if r := s.cliWith(t, "", "migrate"); r.err != nil {
			t.Fatalf("migrate: %v\n%s", r.err, r.errOut)
		}
		wantStatus(t, "the server after migrate", s.api(t, s.Admin, http.MethodGet, "/api/v1/members", nil), http.StatusOK)
	})

	t.Run("backup DIR while serving", func(t *testing.T) {
		// Writes go on while the copies are taken.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"first_name":"Busy","last_name":"Writer%d"}`, i)
				req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v1/members", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+s.Admin)
				req.Header.Set("Content-Type", "application/json")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}()
		dir := filepath.Join(t.TempDir(), "backups")
		r := s.cliWith(t, "", "backup", dir)
		close(stop)
		wg.Wait()
		if r.err != nil {
			t.Fatalf("backup: %v\n%s", r.err, r.errOut)
		}
		copies, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(copies) != 2 {
			t.Fatalf("backup wrote %v (%v), want a copy of each store", copies, err)
		}
		for _, c := range copies {
			if !strings.Contains(r.out, c) {
				t.Errorf("backup did not print %s: %q", c, r.out)
			}
			checkSQLiteCopy(t, c)
		}
		wantStatus(t, "the server after the backup", s.api(t, s.Admin, http.MethodGet, "/api/v1/members", nil), http.StatusOK)
	})

	t.Run("seed-demo", func(t *testing.T) {
		before := memberTotal(t, s)
		if r := s.cliWith(t, "", "seed-demo", "-members", "25"); r.err != nil {
			t.Fatalf("seed-demo: %v\n%s", r.err, r.errOut)
		}
		if after := memberTotal(t, s); after != before+25 {
			t.Errorf("seed-demo -members 25: %d members, then %d", before, after)
		}
	})

	t.Run("unknown subcommand", func(t *testing.T) {
		r := s.cliWith(t, "", "frobnicate")
		if r.err == nil {
			t.Fatal("membership frobnicate: no error, so exit status 0")
		}
		if !strings.Contains(r.errOut, "usage: membership") || !strings.Contains(r.err.Error(), "frobnicate") {
			t.Errorf("membership frobnicate: %v, usage %q", r.err, r.errOut)
		}
	})

	t.Run("-config before or after the subcommand", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.yaml")
		for _, args := range [][]string{{"-config", missing, "migrate"}, {"migrate", "-config", missing}} {
			if r := s.cliWith(t, "", args...); r.err == nil || !strings.Contains(r.err.Error(), missing) {
				t.Errorf("membership %v: %v, want the missing file named", args, r.err)
			}
		}
	})
}

func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// csvColumn returns one column of a CSV document with a header row.
func csvColumn(t *testing.T, doc, column string) []string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(doc)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("not CSV with a header (%v): %q", err, doc)
	}
	i := slices.Index(rows[0], column)
	if i < 0 {
		t.Fatalf("no column %q in %v", column, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	slices.Sort(out)
	return out
}

// listEmails returns the e-mails the member list answers for a query, sorted.
func listEmails(t *testing.T, s *contractServer, query string) []string {
	t.Helper()
	var list struct {
		Items []struct{ Email string } `json:"items"`
	}
	r := s.api(t, s.Admin, http.MethodGet, "/api/v1/members?"+query, nil)
	wantStatus(t, "list members", r, http.StatusOK)
	r.JSON(t, &list)
	var out []string
	for _, m := range list.Items {
		out = append(out, m.Email)
	}
	slices.Sort(out)
	return out
}

// memberTotal is the total of the member list, every status.
func memberTotal(t *testing.T, s *contractServer) int {
	t.Helper()
	var list struct{ Total int }
	r := s.api(t, s.Admin, http.MethodGet, "/api/v1/members?status=all&per_page=1", nil)
	wantStatus(t, "list members", r, http.StatusOK)
	r.JSON(t, &list)
	return list.Total
}

// checkSQLiteCopy opens a backup copy read-only: it must pass PRAGMA integrity_check and hold
// tables, with no WAL beside it to complete it.
func checkSQLiteCopy(t *testing.T, path string) {
	t.Helper()
	if exists(path + "-wal") {
		t.Errorf("%s has a WAL beside it: not a self-contained copy", path)
	}
	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var result string
	if err := d.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil || result != "ok" {
		t.Errorf("%s: integrity_check %q (%v), want ok", path, result, err)
	}
	var tables int
	if err := d.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil || tables == 0 {
		t.Errorf("%s: %d tables (%v)", path, tables, err)
	}
}
