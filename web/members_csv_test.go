package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"membership/members"
	"membership/web/webtest"
)

func TestExportCSV(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	anna := createMember(t, app, "Anna", "Zeller", "anna@example.org")
	ben := createMember(t, app, "=Ben", "Bauer", "ben@example.org")
	if _, err := app.Members.Archive(context.Background(), "system", ben.ID); err != nil {
		t.Fatal(err)
	}
	trainer := app.API(t, "trainer")
	today := time.Now().In(app.Config.Club.Location()).Format(time.DateOnly)
	cases := []struct {
		name    string
		path    string
		status  int
		bom     bool
		comma   rune
		wantIDs []string
		header  string
	}{
		{"default", "/api/v1/members/export.csv", 200, false, ',', []string{itoa(anna.ID)}, strings.Join(members.DefaultCSVColumns(), ",")},
		{"filters and excel", "/api/v1/members/export.csv?status=all&q=bauer&excel=1&columns=id,first_name", 200, true, ';', []string{itoa(ben.ID)}, "id;first_name"},
		{"selection, repeated columns", "/api/v1/members/export.csv?status=all&ids=" + itoa(anna.ID) + "," + itoa(ben.ID) + "&columns=id&columns=email", 200, false, ',', []string{itoa(anna.ID), itoa(ben.ID)}, "id,email"},
		{"unknown column", "/api/v1/members/export.csv?columns=id,secret", 422, false, 0, nil, ""},
		{"bad filter", "/api/v1/members/export.csv?status=gone", 422, false, 0, nil, ""},
		{"unreadable filter", "/api/v1/members/export.csv?verified=maybe", 400, false, 0, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := trainer.Do(t, http.MethodGet, tc.path, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" || resp.Header.Get("Content-Disposition") != "" {
					t.Errorf("error answered as %s, disposition %q; want problem JSON", ct, resp.Header.Get("Content-Disposition"))
				}
				return
			}
			if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename="members-`+today+`.csv"`; got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			text := string(body)
			if strings.HasPrefix(text, "\uFEFF") != tc.bom {
				t.Errorf("BOM %v, want %v", !tc.bom, tc.bom)
			}
			r := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\uFEFF")))
			r.Comma = tc.comma
			recs, err := r.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(recs[0], string(tc.comma)); got != tc.header {
				t.Errorf("header %q, want %q", got, tc.header)
			}
			var ids []string
			for _, rec := range recs[1:] {
				ids = append(ids, rec[0])
				if len(rec) > 1 && strings.HasPrefix(rec[1], "=") {
					t.Errorf("formula %q left live", rec[1])
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("ids %v, want %v", ids, tc.wantIDs)
			}
		})
	}
}

func TestExportCSVInBrowser(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	createMember(t, app, "Anna", "Zeller", "anna@example.org")
	createMember(t, app, "Ben", "Bauer", "ben@example.org")
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)

	resp, body := trainer.Get(t, "/members/export.csv?q=zell&columns=last_name&excel=1")
	if resp.StatusCode != http.StatusOK || body != "\uFEFFlast_name\r\nZeller\r\n" {
		t.Errorf("export: %d %q", resp.StatusCode, body)
	}
	// The list's "export selection" sends its checkboxes as id=…
	resp, body = trainer.Get(t, "/members/export.csv?columns=first_name&id=1&id=2")
	if resp.StatusCode != http.StatusOK || body != "first_name\r\nAnna\r\nBen\r\n" {
		t.Errorf("selection: %d %q", resp.StatusCode, body)
	}
	resp, body = trainer.Get(t, "/members/export?q=zell&status=active")
	for _, want := range []string{`name="q" value="zell"`, `name="status" value="active"`, `value="notes"`, `value="email" checked`, `data-testid="excel"`} {
		if !strings.Contains(body, want) {
			t.Errorf("export page (%d) lacks %s", resp.StatusCode, want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
