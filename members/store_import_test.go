package members_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// importCSV parses data and imports it, failing the test on a file or database error.
func importCSV(t *testing.T, s *members.Store, data string, opts members.ImportOptions) *members.ImportReport {
	t.Helper()
	f, err := members.ParseImport(strings.NewReader(data), members.ImportLimits{})
	if err != nil {
		t.Fatalf("ParseImport: %v", err)
	}
	rep, err := s.Import(context.Background(), actor, f, opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return rep
}

// snapshot is every member as JSON, to compare before and after.
func snapshot(t *testing.T, s *members.Store) string {
	t.Helper()
	var b strings.Builder
	err := s.Iterate(context.Background(), members.ListQuery{Filter: members.Filter{Status: "all"}}, func(m *members.Member) error {
		return json.NewEncoder(&b).Encode(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func auditCount(t *testing.T, s *members.Store) int64 {
	t.Helper()
	_, n, err := s.AuditLog(context.Background(), members.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hostileClub is a club whose members hold what breaks naive CSV code.
func hostileClub(t *testing.T, s *members.Store) {
	t.Helper()
	mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
	names := []string{`=HYPERLINK("http://x","y")`, `@SUM(1)`, `+cmd|' /C calc'!A0`, `Anna "Nan"`, "Zeller, jr.; Sr.", "Jürgen", "'=quoted"}
	for i, n := range names {
		in := adult(n, "Müller-Lüdenscheidt", fmt.Sprintf("m%d@example.org", i))
		// A browser sends a text area's lines with CRLF, which CSV readers give back as LF.
		in.Notes = "line one\r\nline two, \"quoted\"; " + n
		in.Street, in.PostalCode, in.City, in.Country = "Hauptstraße 1", "50667", "Köln", "DE"
		in.Plan, in.Rank, in.SMSConsent = "Erwachsene", "2. Kyu", i%2 == 0
		in.MembershipEndsOn = members.NewDate(2026, time.December, 31)
		in.Language = []string{"", "de", "en"}[i%3]
		mustCreate(t, s, in)
	}
	child := adult("Kim", "Klein", "")
	child.BirthDate = members.NewDate(2015, time.May, 1)
	child.GuardianName, child.GuardianPhone = "Kai Klein", "+4915199887766"
	child.Status = members.StatusPaused
	mustCreate(t, s, child)
}

func TestImportRoundTripChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		hostileClub(t, s)
		allCols := members.CSVColumns()
		for _, tc := range []struct {
			name string
			opts members.CSVOptions
		}{
			{"default columns", members.CSVOptions{}},
			{"every column, excel", members.CSVOptions{Columns: allCols, Excel: true}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, audits := snapshot(t, s), auditCount(t, s)
				var buf bytes.Buffer
				if err := members.WriteCSV(ctx, &buf, s, members.ListQuery{Filter: members.Filter{Status: "all"}}, tc.opts); err != nil {
					t.Fatal(err)
				}
				rep := importCSV(t, s, buf.String(), members.ImportOptions{OnExisting: members.OnExistingUpdate})
				if len(rep.Errors) > 0 || rep.Unchanged != 8 || rep.Created+rep.Updated+rep.Skipped != 0 {
					t.Fatalf("report %+v, want 8 unchanged and nothing else", rep)
				}
				if after := snapshot(t, s); after != before {
					t.Errorf("members changed:\nbefore %s\nafter  %s", before, after)
				}
				if n := auditCount(t, s); n != audits {
					t.Errorf("audit rows %d → %d, want none written", audits, n)
				}
			})
		}
	})
}

func TestImportCreatesAndUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
		old := mustCreate(t, s, adult("Olga", "Old", "olga@example.org"))
		file := "\uFEFFVorname;Nachname;E-Mail;Mobil;Geburtsdatum;Straße;PLZ;Ort;Status;Tarif;Gürtel;SMS-Einwilligung\r\n" +
			"Jürgen;Müller;j@example.org;0151 23456789;04.03.1990;Hauptstraße 1;50667;Köln;ruhend;erwachsene;3 kyu;ja\r\n" +
			"Olga;Neu;OLGA@example.org;;1990-03-04;;;;;;;nein\r\n"
		for _, tc := range []struct {
			onExisting string
			want       members.ImportReport
			oldLast    string
		}{
			{members.OnExistingSkip, members.ImportReport{Created: 1, Skipped: 1}, "Old"},
			{members.OnExistingUpdate, members.ImportReport{Updated: 1, Skipped: 0}, "Neu"},
		} {
			rep := importCSV(t, s, file, members.ImportOptions{OnExisting: tc.onExisting})
			if rep.Created != tc.want.Created || rep.Updated != tc.want.Updated || rep.Skipped != tc.want.Skipped || len(rep.Errors) > 0 {
				t.Fatalf("on_existing=%s: report %+v, want %+v", tc.onExisting, rep, tc.want)
			}
			got, err := s.Get(ctx, old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastName != tc.oldLast {
				t.Errorf("on_existing=%s: existing member's last name %q, want %q", tc.onExisting, got.LastName, tc.oldLast)
			}
			if tc.onExisting == members.OnExistingUpdate && (got.Status != members.StatusActive || got.Phone != "" || got.Version != 2) {
				t.Errorf("update: status %s (empty cell keeps it), phone %q (empty cell clears it), version %d, want active, \"\", 2", got.Status, got.Phone, got.Version)
			}
		}
		ms, _, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Q: "jürgen", Status: "all"}})
		if err != nil || len(ms) != 1 {
			t.Fatalf("imported member: %v, %v", ms, err)
		}
		m := ms[0]
		checks := []struct{ what, got, want string }{
			{"first_name", m.FirstName, "Jürgen"},
			{"phone", m.Phone, "+4915123456789"},
			{"birth_date", m.BirthDate.String(), "1990-03-04"},
			{"street", m.Street, "Hauptstraße 1"},
			{"status", string(m.Status), "paused"},
			{"plan", m.Plan, "Erwachsene"},
			{"rank", m.Rank, "3. Kyu"},
			{"sms_consent", fmt.Sprint(m.SMSConsent), "true"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		}
	})
}

func TestImportWritesNothingWhenARowIsInvalid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newStore(t, gdb)
		taken := mustCreate(t, s, adult("Tina", "Taken", "taken@example.org"))
		cases := []struct {
			name string
			data string
			want []members.ImportError
		}{
			{
				name: "field errors by line and column",
				data: "Vorname;Nachname;E-Mail;Geburtsdatum;Telefon\n" +
					"Anna;Ok;anna@example.org;01.02.1990;\n" +
					"Ben;;ben@example;31.02.1990;12\n" +
					"Kind;Klein;kind@example.org;01.01.2020;\n",
				want: []members.ImportError{
					{Line: 3, Column: "Geburtsdatum", Field: "birth_date"},
					{Line: 3, Column: "Nachname", Field: "last_name"},
					{Line: 3, Column: "E-Mail", Field: "email"},
					{Line: 3, Column: "Telefon", Field: "phone"},
					{Line: 4, Column: "", Field: "guardian_name"},
					{Line: 4, Column: "", Field: "guardian_phone"},
				},
			},
			{
				name: "duplicate e-mail inside the file",
				data: "first_name,last_name,email\nA,One,dup@example.org\nB,Two,x@example.org\nC,Three,DUP@example.org\n",
				want: []members.ImportError{{Line: 4, Column: "email", Field: "email"}},
			},
			{
				name: "unknown id, duplicate id",
				data: fmt.Sprintf("id,first_name,last_name\n999,A,B\n%d,C,D\n%d,E,F\n", taken.ID, taken.ID),
				want: []members.ImportError{{Line: 2, Column: "id", Field: "id"}, {Line: 4, Column: "id", Field: "id"}},
			},
			{
				name: "syntax error on the last line",
				data: "first_name,last_name\nA,B\n\"C,D\n",
				want: []members.ImportError{{Line: 3}},
			},
		}
		for _, tc := range cases {
			for _, onExisting := range []string{members.OnExistingSkip, members.OnExistingUpdate} {
				t.Run(tc.name+"/"+onExisting, func(t *testing.T) {
					before, audits := snapshot(t, s), auditCount(t, s)
					rep := importCSV(t, s, tc.data, members.ImportOptions{OnExisting: onExisting})
					if len(rep.Errors) != len(tc.want) {
						t.Fatalf("errors %+v, want %d", rep.Errors, len(tc.want))
					}
					for i, w := range tc.want {
						g := rep.Errors[i]
						if g.Line != w.Line || g.Column != w.Column || g.Field != w.Field || g.Message == "" {
							t.Errorf("error %d = %+v, want line %d column %q field %s with a message", i, g, w.Line, w.Column, w.Field)
						}
					}
					if snapshot(t, s) != before || auditCount(t, s) != audits {
						t.Error("an import with errors wrote to the database")
					}
				})
			}
		}
	})
}

func TestImportDryRunWritesNothing(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	mustCreate(t, s, adult("Olga", "Old", "olga@example.org"))
	before := snapshot(t, s)
	data := "first_name,last_name,email\nA,New,a@example.org\nOlga,Changed,olga@example.org\n"
	rep := importCSV(t, s, data, members.ImportOptions{OnExisting: members.OnExistingUpdate, DryRun: true})
	if rep.Created != 1 || rep.Updated != 1 || len(rep.Errors) != 0 {
		t.Errorf("dry run report %+v, want 1 created and 1 updated", rep)
	}
	if snapshot(t, s) != before {
		t.Error("a dry run wrote to the database")
	}
	// The same file for real does what the dry run said.
	rep = importCSV(t, s, data, members.ImportOptions{OnExisting: members.OnExistingUpdate})
	if rep.Created != 1 || rep.Updated != 1 || snapshot(t, s) == before {
		t.Errorf("import report %+v, or nothing written", rep)
	}
}

func TestImportOptions(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	f, err := members.ParseImport(strings.NewReader("first_name,last_name\na,b\n"), members.ImportLimits{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(context.Background(), actor, f, members.ImportOptions{OnExisting: "replace"})
	if fieldErrors(t, err)["on_existing"] == "" {
		t.Errorf("on_existing=replace: %v, want a field error", err)
	}
}

// TestImportAcrossChunks imports more rows than one chunk holds: duplicates are found across
// chunks, and every new member is searchable and audited as a member made by the form is.
func TestImportAcrossChunks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		var sb strings.Builder
		sb.WriteString("first_name,last_name,email\n")
		for i := range 1100 {
			fmt.Fprintf(&sb, "First%d,Last%d,m%d@example.org\n", i, i, i)
		}
		valid := sb.String()
		rep := importCSV(t, s, valid+"Late,Dup,M3@example.org\n", members.ImportOptions{})
		if len(rep.Errors) != 1 || rep.Errors[0].Line != 1102 || !strings.Contains(rep.Errors[0].Message, "line 5") {
			t.Fatalf("errors %+v, want the duplicate on line 1102 of line 5", rep.Errors)
		}
		if n := auditCount(t, s); n != 0 {
			t.Fatalf("%d audit rows after a failed import", n)
		}
		rep = importCSV(t, s, valid, members.ImportOptions{})
		if rep.Created != 1100 || len(rep.Errors) != 0 {
			t.Fatalf("report %+v", rep)
		}
		for _, q := range []string{"first0", "last1099", "m777@example.org"} {
			if ms, _, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Q: q}}); err != nil || len(ms) != 1 {
				t.Errorf("search %q: %d members, %v", q, len(ms), err)
			}
		}
		if n := auditCount(t, s); n != 1100 {
			t.Errorf("%d audit rows, want one per new member", n)
		}
	})
}

// TestImportWritesAsCreateAndUpdateDo makes one member with Create and Update and another, from
// the same values, with Import: both must read back alike, be found by the same searches and
// be audited with the same entries, since the import builds its rows with the same code.
func TestImportWritesAsCreateAndUpdateDo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
		in := adult("Jürgen", "Müller", "form@example.org")
		in.Plan, in.Rank, in.SMSConsent, in.Notes = "erwachsene", "3. Kyu", true, "  note  "
		in.Status = members.StatusPaused
		byForm := mustCreate(t, s, in)
		byForm, err := s.Update(ctx, actor, byForm.ID, members.MemberPatch{LastName: ptr("Meier"), Status: ptr(members.StatusArchived)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep := importCSV(t, s, "first_name,last_name,email,phone,birth_date,plan,rank,sms_consent,notes,status\n"+
			"Jürgen,Müller,file@example.org,0151 23456789,1990-03-04,erwachsene,3. Kyu,yes,  note  ,paused\n", members.ImportOptions{})
		if rep.Created != 1 || len(rep.Errors) > 0 {
			t.Fatalf("create report %+v", rep)
		}
		byFile := onlyMember(t, s, "file@example.org")
		rep = importCSV(t, s, fmt.Sprintf("id,last_name,status\n%d,Meier,archived\n", byFile.ID), members.ImportOptions{OnExisting: members.OnExistingUpdate})
		if rep.Updated != 1 || len(rep.Errors) > 0 {
			t.Fatalf("update report %+v", rep)
		}
		byFile, err = s.Get(ctx, byFile.ID)
		if err != nil {
			t.Fatal(err)
		}

		got, want := *byFile, *byForm
		got.ID, got.Email, want.ID, want.Email = 0, "", 0, ""
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Errorf("imported member\n got %s\nwant %s", g, w)
		}
		for _, q := range []string{"meier", "jurgen", "0151 2345", "+49151"} {
			ms, _, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Q: q, Status: string(members.StatusArchived)}})
			if err != nil || len(ms) != 2 {
				t.Errorf("search %q among the archived: %d members, %v; want both", q, len(ms), err)
			}
		}
		for _, q := range []string{"form@example.org", "file@example.org"} {
			if ms, _, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Q: q, Status: "all"}}); err != nil || len(ms) != 1 {
				t.Errorf("search %q: %d members, %v; want one", q, len(ms), err)
			}
		}
		if g, w := auditOf(t, s, byFile.ID), auditOf(t, s, byForm.ID); g != w {
			t.Errorf("imported member's audit\n got %s\nwant %s", g, w)
		}
	})
}

// onlyMember is the one member a search for q finds.
func onlyMember(t *testing.T, s *members.Store, q string) *members.Member {
	t.Helper()
	ms, _, err := s.List(context.Background(), members.ListQuery{Filter: members.Filter{Q: q, Status: "all"}})
	if err != nil || len(ms) != 1 {
		t.Fatalf("search %q: %d members, %v; want one", q, len(ms), err)
	}
	return &ms[0]
}

// auditOf is a member's audit entries, oldest first, without their ids and member ids.
func auditOf(t *testing.T, s *members.Store, id int64) string {
	t.Helper()
	es, _, err := s.AuditLog(context.Background(), members.AuditQuery{MemberID: id})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		e.ID, e.MemberID = 0, nil
		b.WriteString(mustJSON(t, e) + "\n")
	}
	return b.String()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
