package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs a subcommand in-process against the app database in dir.
func cli(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	environ := []string{"MEMBERSHIP_SERVER_DATA_DIR=" + dir, "MEMBERSHIP_DATABASE_DSN=" + filepath.Join(dir, "membership.db")}
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, environ)
	return out.String(), err
}

func TestImportExportCommands(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "club.csv")
	data := "\uFEFFVorname;Nachname;E-Mail;Geburtsdatum;Status\r\n" +
		"Anna;Zeller;anna@example.org;01.02.1990;aktiv\r\n" +
		"Ben;Bauer;ben@example.org;1991-03-04;ruhend\r\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		stdin   string
		args    []string
		wantOut []string
		wantErr string
	}{
		{name: "dry run", args: []string{"import", file, "--dry-run"},
			wantOut: []string{"would import " + file + ": 2 created", "dry run: nothing was written"}},
		{name: "nothing yet", args: []string{"export", "-status", "all", "-columns", "id"}, wantOut: []string{"id\r\n"}},
		{name: "import", args: []string{"import", "-on-existing", "update", file}, wantOut: []string{"imported " + file + ": 2 created"}},
		{name: "again, from stdin: unchanged", stdin: data, args: []string{"import", "-", "--on-existing=update"}, wantOut: []string{"0 created, 0 updated, 2 unchanged"}},
		{name: "bad row", stdin: "first_name,last_name,email\nC,,c@example\n", args: []string{"import", "-"},
			wantOut: []string{`line 2, column "last_name" (last_name): is required`, `line 2, column "email" (email): is not a valid e-mail address`},
			wantErr: "2 problems; nothing was imported"},
		{name: "not a member file", stdin: "a,b\n1,2\n", args: []string{"import", "-"}, wantErr: "none of the columns"},
		{name: "export filtered", args: []string{"export", "-status", "paused", "-columns", "first_name,birth_date", "-excel"},
			wantOut: []string{"\uFEFFfirst_name;birth_date\r\nBen;1991-03-04\r\n"}},
		{name: "export search", args: []string{"export", "-q", "zell", "-columns", "email"}, wantOut: []string{"email\r\nanna@example.org\r\n"}},
		{name: "bad filter", args: []string{"export", "-status", "gone"}, wantErr: "status"},
		{name: "bad flag value", args: []string{"export", "-verified", "maybe"}, wantErr: "use true or false"},
		{name: "no file", args: []string{"import"}, wantErr: "usage"},
	}
	for _, st := range steps {
		out, err := cli(t, dir, st.stdin, st.args...)
		switch {
		case st.wantErr == "" && err != nil:
			t.Fatalf("%s: %v\n%s", st.name, err, out)
		case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
			t.Fatalf("%s: error %v, want %q", st.name, err, st.wantErr)
		}
		for _, want := range st.wantOut {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output %q lacks %q", st.name, out, want)
			}
		}
	}
}
