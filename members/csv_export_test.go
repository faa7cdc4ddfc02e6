package members_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"membership/db/dbtest"
	"membership/members"
)

// readCSV parses an export, failing the test on malformed output.
func readCSV(t *testing.T, data []byte, comma rune) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse export: %v\n%s", err, data)
	}
	return recs
}

// column returns the cells of one column by header name, without the header.
func column(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	for i, h := range recs[0] {
		if h == name {
			var out []string
			for _, r := range recs[1:] {
				out = append(out, r[i])
			}
			return out
		}
	}
	t.Fatalf("no column %q in %v", name, recs[0])
	return nil
}

func TestWriteCSVFormats(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
	in := adult("Jürgen", "Müller", "juergen@example.org")
	in.Plan, in.Rank, in.SMSConsent = "Erwachsene", "3. Kyu", true
	in.Street, in.PostalCode, in.City = "Hauptstraße 1", "10115", "Berlin"
	m := mustCreate(t, s, in)
	mustCreate(t, s, adult("Anna", "Zeller", "anna@example.org"))

	cases := []struct {
		name     string
		opts     members.CSVOptions
		comma    rune
		bom      bool
		header   string
		wantCell map[string]string // column → first member's value
	}{
		{
			name: "default columns", comma: ',',
			header: strings.Join(members.DefaultCSVColumns(), ","),
			wantCell: map[string]string{"id": itoa(m.ID), "first_name": "Jürgen", "phone": "+4915123456789",
				"birth_date": "1990-03-04", "joined_on": "2025-06-15", "plan": "Erwachsene", "rank": "3. Kyu",
				"sms_consent": "true", "email_consent": "false", "street": "Hauptstraße 1", "status": "active"},
		},
		{
			name: "excel", opts: members.CSVOptions{Excel: true}, comma: ';', bom: true,
			header:   strings.Join(members.DefaultCSVColumns(), ";"),
			wantCell: map[string]string{"last_name": "Müller", "membership_ends_on": ""},
		},
		{
			name: "picked columns", opts: members.CSVOptions{Columns: []string{"email", "created_at", "version", "sms_consent_at"}}, comma: ',',
			header: "email,created_at,version,sms_consent_at",
			wantCell: map[string]string{"email": "juergen@example.org", "created_at": "2025-06-15T10:00:00Z",
				"version": "1", "sms_consent_at": "2025-06-15T10:00:00Z"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := members.WriteCSV(ctx, &buf, s, members.ListQuery{}, tc.opts); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			out := buf.String()
			if got := strings.HasPrefix(out, "\uFEFF"); got != tc.bom {
				t.Errorf("BOM = %v, want %v", got, tc.bom)
			}
			if first, _, _ := strings.Cut(strings.TrimPrefix(out, "\uFEFF"), "\r\n"); first != tc.header {
				t.Errorf("header = %q, want %q", first, tc.header)
			}
			if n := strings.Count(out, "\r\n"); n != 3 {
				t.Errorf("%d CRLF line ends, want 3 (header and two rows)", n)
			}
			recs := readCSV(t, buf.Bytes(), tc.comma)
			for col, want := range tc.wantCell {
				if got := column(t, recs, col)[0]; got != want {
					t.Errorf("%s = %q, want %q", col, got, want)
				}
			}
		})
	}
}

func TestWriteCSVNeutralisesFormulas(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	cases := []struct{ stored, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{`@SUM(1)`, `'@SUM(1)`},
		{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{`-2+3`, `'-2+3`},
		{`'=already quoted`, `''=already quoted`},
		{`O'Brien`, `O'Brien`},
		{`Anna-Lena`, `Anna-Lena`},
		{"multi\nline, \"quoted\"; text", "multi\nline, \"quoted\"; text"},
	}
	for i, tc := range cases {
		in := adult(tc.stored, "Hostile", "h"+itoa(int64(i))+"@example.org")
		in.Notes = tc.stored
		mustCreate(t, s, in)
	}
	for _, excel := range []bool{false, true} {
		var buf bytes.Buffer
		err := members.WriteCSV(ctx, &buf, s, members.ListQuery{Sort: "id"}, members.CSVOptions{Excel: excel, Columns: []string{"first_name", "phone", "notes"}})
		if err != nil {
			t.Fatalf("WriteCSV: %v", err)
		}
		comma := ','
		if excel {
			comma = ';'
		}
		recs := readCSV(t, buf.Bytes(), comma)
		if len(recs) != len(cases)+1 {
			t.Fatalf("excel=%v: %d records, want %d", excel, len(recs), len(cases)+1)
		}
		firsts, notes, phones := column(t, recs, "first_name"), column(t, recs, "notes"), column(t, recs, "phone")
		for i, tc := range cases {
			if firsts[i] != tc.want || notes[i] != tc.want {
				t.Errorf("excel=%v: %q exported as %q / %q, want %q", excel, tc.stored, firsts[i], notes[i], tc.want)
			}
			if phones[i] != "+4915123456789" {
				t.Errorf("excel=%v: phone exported as %q, want it readable as +4915123456789", excel, phones[i])
			}
		}
	}
}

func TestWriteCSVSelects(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	a := mustCreate(t, s, adult("Anna", "Active", "anna@example.org"))
	pIn := adult("Paul", "Paused", "paul@example.org")
	pIn.Status = members.StatusPaused
	p := mustCreate(t, s, pIn)
	c := mustCreate(t, s, adult("Carl", "Archived", "carl@example.org"))
	if _, err := s.Archive(ctx, actor, c.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		q    members.ListQuery
		want []string
	}{
		{"default leaves out archived", members.ListQuery{}, []string{itoa(a.ID), itoa(p.ID)}},
		{"all", members.ListQuery{Filter: members.Filter{Status: "all"}}, []string{itoa(a.ID), itoa(p.ID), itoa(c.ID)}},
		{"status", members.ListQuery{Filter: members.Filter{Status: "paused"}}, []string{itoa(p.ID)}},
		{"search", members.ListQuery{Filter: members.Filter{Q: "ann"}}, []string{itoa(a.ID)}},
		{"selected rows", members.ListQuery{Filter: members.Filter{Status: "all"}, IDs: []int64{a.ID, c.ID}}, []string{itoa(a.ID), itoa(c.ID)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := members.WriteCSV(ctx, &buf, s, tc.q, members.CSVOptions{Columns: []string{"id"}}); err != nil {
				t.Fatal(err)
			}
			got := column(t, readCSV(t, buf.Bytes(), ','), "id")
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWriteCSVRefusesBeforeWriting(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	mustCreate(t, s, adult("Anna", "Active", "anna@example.org"))
	cases := []struct {
		name  string
		q     members.ListQuery
		opts  members.CSVOptions
		field string
	}{
		{"unknown column", members.ListQuery{}, members.CSVOptions{Columns: []string{"id", "password"}}, "columns"},
		{"bad status", members.ListQuery{Filter: members.Filter{Status: "gone"}}, members.CSVOptions{}, "status"},
		{"unknown plan", members.ListQuery{Filter: members.Filter{Plan: "Nope"}}, members.CSVOptions{Excel: true}, "plan"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := members.WriteCSV(context.Background(), &buf, s, tc.q, tc.opts)
			if fieldErrors(t, err)[tc.field] == "" {
				t.Errorf("error %v names no %s", err, tc.field)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q before failing", buf.String())
			}
		})
	}
}

// TestWriteCSVDates checks that dates are written as the calendar day, whatever the zone.
func TestWriteCSVDates(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	in := adult("Anna", "Active", "anna@example.org")
	in.BirthDate = members.NewDate(2000, time.December, 31)
	in.JoinedOn = members.NewDate(2020, time.January, 1)
	in.MembershipEndsOn = members.NewDate(2030, time.February, 28)
	mustCreate(t, s, in)
	var buf bytes.Buffer
	if err := members.WriteCSV(context.Background(), &buf, s, members.ListQuery{}, members.CSVOptions{Columns: []string{"birth_date", "joined_on", "membership_ends_on"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := readCSV(t, buf.Bytes(), ',')[1], []string{"2000-12-31", "2020-01-01", "2030-02-28"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("dates %v, want %v", got, want)
	}
}
