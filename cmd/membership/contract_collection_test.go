package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestContractCollections: the SEPA direct debit API as README's table lists it — the club's
// creditor settings, mandates, a collection run (its file, its cancel) and a returns import —
// with every code the table names. Fees come from seed-demo's club; MEMBERSHIP_FEES_RUN_AT=00:00
// lets the run's pre-notification day (today) start at once.
func TestContractCollections(t *testing.T) {
	s := startContract(t, "MEMBERSHIP_FEES_RUN_AT=00:00")
	s.cli(t, "seed-demo", "-members", "20")
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	r := s.api(t, s.Admin, http.MethodGet, "/api/v1/members?status=all&per_page=20", nil)
	wantStatus(t, "list members", r, http.StatusOK)
	r.JSON(t, &list)
	if len(list.Items) != 20 {
		t.Fatalf("%d seeded members", len(list.Items))
	}
	ids := list.Items

	// Every route refuses a missing token (401) and a trainer's (403).
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/collection-settings"}, {http.MethodPut, "/api/v1/collection-settings"},
		{http.MethodGet, "/api/v1/collections"}, {http.MethodPost, "/api/v1/collections"},
		{http.MethodGet, "/api/v1/collections/1"}, {http.MethodGet, "/api/v1/collections/1/items"},
		{http.MethodGet, "/api/v1/collections/1/file"}, {http.MethodPost, "/api/v1/collections/1/cancel"},
		{http.MethodPost, "/api/v1/collection-returns"}, {http.MethodGet, fmt.Sprintf("/api/v1/members/%d/mandates", ids[0].ID)},
		{http.MethodPut, fmt.Sprintf("/api/v1/members/%d/mandate", ids[0].ID)}, {http.MethodDelete, fmt.Sprintf("/api/v1/members/%d/mandate", ids[0].ID)},
	} {
		wantStatus(t, rt.method+" "+rt.path+" without a token", s.api(t, "", rt.method, rt.path, nil), http.StatusUnauthorized)
		wantStatus(t, rt.method+" "+rt.path+" as a trainer", s.api(t, s.Trainer, rt.method, rt.path, nil), http.StatusForbidden)
	}

	// Settings: 422 names the field, 400 for malformed JSON, 200 answers the stored values.
	r = s.api(t, s.Admin, http.MethodPut, "/api/v1/collection-settings", map[string]any{"creditor_id": "DE99ZZZ09999999999", "prenotify_days": 1, "return_days": 1})
	wantStatus(t, "a wrong creditor id", r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.Body), `"creditor_id"`) {
		t.Errorf("422 does not name creditor_id: %s", r.Body)
	}
	wantStatus(t, "malformed settings", s.api(t, s.Admin, http.MethodPut, "/api/v1/collection-settings", "{"), http.StatusBadRequest)
	r = s.api(t, s.Admin, http.MethodPut, "/api/v1/collection-settings", map[string]any{"creditor_name": "Karate-Dojo e.V.",
		"creditor_id": "DE98ZZZ09999999999", "iban": "DE89 3704 0044 0532 0130 00", "bic": "", "prenotify_days": 1, "return_days": 1})
	wantStatus(t, "settings", r, http.StatusOK)
	wantStatus(t, "read settings", s.api(t, s.Admin, http.MethodGet, "/api/v1/collection-settings", nil), http.StatusOK)

	// Mandates.
	mandate := func(id int64) string { return fmt.Sprintf("/api/v1/members/%d/mandate", id) }
	wantStatus(t, "mandate of nobody", s.api(t, s.Admin, http.MethodPut, "/api/v1/members/999999/mandate", map[string]any{"iban": "DE89370400440532013000"}), http.StatusNotFound)
	wantStatus(t, "mandates of nobody", s.api(t, s.Admin, http.MethodGet, "/api/v1/members/999999/mandates", nil), http.StatusNotFound)
	wantStatus(t, "a bad IBAN", s.api(t, s.Admin, http.MethodPut, mandate(ids[0].ID), map[string]any{"iban": "DE89370400440532013001"}), http.StatusUnprocessableEntity)
	wantStatus(t, "malformed mandate", s.api(t, s.Admin, http.MethodPut, mandate(ids[0].ID), "{"), http.StatusBadRequest)
	ibans := []string{"DE89370400440532013000", "DE02120300000000202051", "DE12500105170648489890", "DE02500105170137075030",
		"DE88100900001234567892", "DE02100500000054540402", "DE02300209000106531065", "DE02200505501015871393"}
	for i, m := range ids {
		wantStatus(t, "mandate", s.api(t, s.Admin, http.MethodPut, mandate(m.ID), map[string]any{"iban": ibans[i%len(ibans)]}), http.StatusOK)
	}
	wantStatus(t, "mandates", s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/members/%d/mandates", ids[0].ID), nil), http.StatusOK)
	wantStatus(t, "revoke", s.api(t, s.Admin, http.MethodDelete, mandate(ids[19].ID), nil), http.StatusOK)
	wantStatus(t, "no mandate to revoke", s.api(t, s.Admin, http.MethodDelete, mandate(ids[19].ID), nil), http.StatusNotFound)

	// A run: too soon is 422, malformed 400; tomorrow starts (202) and builds its file.
	// The club's days are Europe/Berlin's (config.yaml): after 23:00 UTC its today is UTC's tomorrow.
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(berlin)
	today := now.Format(time.DateOnly)
	wantStatus(t, "a run today", s.api(t, s.Admin, http.MethodPost, "/api/v1/collections", map[string]any{"collect_on": today}), http.StatusUnprocessableEntity)
	wantStatus(t, "malformed run", s.api(t, s.Admin, http.MethodPost, "/api/v1/collections", "{"), http.StatusBadRequest)
	r = s.api(t, s.Admin, http.MethodPost, "/api/v1/collections", map[string]any{"collect_on": now.AddDate(0, 0, 1).Format(time.DateOnly)})
	wantStatus(t, "a run", r, http.StatusAccepted)
	var started struct {
		ID           string `json:"id"`
		CollectionID int64  `json:"collection_id"`
		StatusURI    string `json:"statusQueryGetUri"`
	}
	r.JSON(t, &started)
	if started.ID == "" || started.CollectionID == 0 || started.StatusURI == "" {
		t.Fatalf("start payload: %s", r.Body)
	}
	path := fmt.Sprintf("/api/v1/collections/%d", started.CollectionID)
	var col struct {
		Status string `json:"status"`
		Fees   int    `json:"fees"`
	}
	waitFor(t, contractWait, "the run's file", func() bool {
		r := s.api(t, s.Admin, http.MethodGet, path, nil)
		wantStatus(t, "read run", r, http.StatusOK)
		r.JSON(t, &col)
		return col.Status == "file_ready" || col.Status == "settled"
	})
	if col.Status != "file_ready" || col.Fees == 0 {
		t.Fatalf("run = %+v; want a file with the seeded club's open fees", col)
	}
	r = s.api(t, s.Admin, http.MethodGet, path+"/file", nil)
	wantStatus(t, "file", r, http.StatusOK)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/xml") || !strings.Contains(string(r.Body), "pain.008.001.08") {
		t.Errorf("file: %s %.200s", r.Header.Get("Content-Type"), r.Body)
	}
	wantStatus(t, "items", s.api(t, s.Admin, http.MethodGet, path+"/items", nil), http.StatusOK)
	wantStatus(t, "items page 0", s.api(t, s.Admin, http.MethodGet, path+"/items?page=0", nil), http.StatusBadRequest)
	wantStatus(t, "list runs", s.api(t, s.Admin, http.MethodGet, "/api/v1/collections", nil), http.StatusOK)
	wantStatus(t, "cancel with a file", s.api(t, s.Admin, http.MethodPost, path+"/cancel", nil), http.StatusConflict)
	for _, sub := range []string{"", "/items", "/file"} {
		wantStatus(t, "no run"+sub, s.api(t, s.Admin, http.MethodGet, "/api/v1/collections/999999"+sub, nil), http.StatusNotFound)
	}
	wantStatus(t, "cancel no run", s.api(t, s.Admin, http.MethodPost, "/api/v1/collections/999999/cancel", nil), http.StatusNotFound)

	// A second run, planned for later, is cancelled before its file; its file is 409.
	r = s.api(t, s.Admin, http.MethodPost, "/api/v1/collections", map[string]any{"collect_on": time.Now().AddDate(0, 0, 40).Format(time.DateOnly)})
	wantStatus(t, "a later run", r, http.StatusAccepted)
	r.JSON(t, &started)
	later := fmt.Sprintf("/api/v1/collections/%d", started.CollectionID)
	wantStatus(t, "file not yet", s.api(t, s.Admin, http.MethodGet, later+"/file", nil), http.StatusConflict)
	wantStatus(t, "cancel", s.api(t, s.Admin, http.MethodPost, later+"/cancel", nil), http.StatusOK)

	// Returns: an unreadable file is 422; a CSV books what matches.
	wantStatus(t, "unreadable returns", s.api(t, s.Admin, http.MethodPost, "/api/v1/collection-returns", "nothing;here\r\n"), http.StatusUnprocessableEntity)
	r = s.api(t, s.Admin, http.MethodPost, "/api/v1/collection-returns", "IBAN;Mandatsreferenz;Betrag;Rückgabegrund\r\nDE89370400440532013000;NOBODY-1;35,00;AC04\r\n")
	wantStatus(t, "returns", r, http.StatusOK)
	if !strings.Contains(string(r.Body), `"unmatched"`) {
		t.Errorf("returns report: %s", r.Body)
	}
	// A bank's camt.054 is read as such: its debits are none of ours, so all are unmatched.
	camt, err := os.ReadFile(filepath.Join("..", "..", "members", "sepa", "testdata", "camt054_returns.001.08.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r = s.api(t, s.Admin, http.MethodPost, "/api/v1/collection-returns", camt, "Content-Type", "application/xml")
	wantStatus(t, "camt.054 returns", r, http.StatusOK)
	var report struct {
		Results []struct{ Status, Reason string } `json:"results"`
	}
	r.JSON(t, &report)
	if len(report.Results) == 0 || report.Results[0].Status != "unmatched" || report.Results[0].Reason == "" {
		t.Errorf("camt.054 report: %s", r.Body)
	}
}
