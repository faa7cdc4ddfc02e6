package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"membership/members"
	"membership/web/webtest"
)

// TestBusyDatabaseAnswersTryAgain holds the app database's write lock, as a large CSV import
// does for seconds, past a short busy timeout: the API answers 503 problem JSON with
// Retry-After in the reader's language, the member form comes back with the typed input, a
// button on a page sends the admin back to it with the reason — nothing is written, no answer
// is a 500 — and once the lock is free the same requests succeed.
func TestBusyDatabaseAnswersTryAgain(t *testing.T) {
	app, _ := webtest.StartVerifying(t, webtest.Options{DatabaseQuery: "_busy_timeout=150"})
	admin := app.API(t, "admin")
	ui := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	m, err := app.Members.Create(t.Context(), "test", members.MemberInput{FirstName: "Ren", LastName: "Okada", Status: members.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	memberPath := "/members/" + strconv.FormatInt(m.ID, 10)
	csrf := ui.CSRF(t)

	// The long transaction: BEGIN IMMEDIATE holds the one write lock until it ends.
	lock := app.DB.Begin()
	if lock.Error != nil {
		t.Fatal(lock.Error)
	}
	held := true
	release := func() {
		if held {
			held = false
			if err := lock.Rollback().Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(release)

	create := map[string]any{"first_name": "Mika", "last_name": "Sato"}
	for _, lang := range []struct{ accept, detail string }{
		{"en", "busy with a large change"},
		{"de", "großen Änderung beschäftigt"},
	} {
		resp, body := admin.Do(t, http.MethodPost, "/api/v1/members", create, "Accept-Language", lang.accept)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), lang.detail) {
			t.Errorf("API create while busy (%s): %d Retry-After %q %s %s", lang.accept, resp.StatusCode,
				resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body)
		}
	}

	resp, body := ui.PostFormBody(t, "/members", url.Values{"first_name": {"Mika"}, "last_name": {"Sato"}, "status": {"active"}})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `value="Mika"`) || !strings.Contains(body, "busy with a large change") {
		t.Errorf("member form while busy: %d, want 503 with the input kept and the reason:\n%s", resp.StatusCode, body)
	}

	campaign := url.Values{"name": {"Sommerlager"}, "channels": {"email"}, "subject": {"Summer camp"},
		"message": {"Hello {{.FirstName}}"}, "when": {"now"}, "status": {"active"}}
	resp, body = ui.PostFormBody(t, "/campaigns", campaign)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `value="Sommerlager"`) || !strings.Contains(body, "busy with a large change") {
		t.Errorf("campaign form while busy: %d, want 503 with the input kept and the reason:\n%s", resp.StatusCode, body)
	}

	join := url.Values{"first_name": {"Yui"}, "last_name": {"Mori"}, "email": {"yui@example.org"}, "phone": {"0151 23456780"},
		"birth_date": {"2001-02-03"}, "privacy": {"on"}}
	resp, body = app.Anonymous(t).PostFormBody(t, "/join", join)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `value="Yui"`) || !strings.Contains(body, "busy with a large change") {
		t.Errorf("join form while busy: %d, want 503 with the input kept and the reason:\n%s", resp.StatusCode, body)
	}

	req, err := http.NewRequest(http.MethodPost, app.URL+memberPath+"/archive", strings.NewReader(url.Values{"_csrf": {csrf}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", app.URL+memberPath)
	resp, err = ui.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != memberPath {
		t.Errorf("archive button while busy: %d to %q, want 303 back to %s", resp.StatusCode, resp.Header.Get("Location"), memberPath)
	}
	if _, page := ui.Get(t, memberPath); !strings.Contains(page, "busy with a large change") {
		t.Errorf("the member page after the refused archive does not say why:\n%s", page)
	}

	release()
	var n int64
	if err := app.DB.Model(&members.Member{}).Where("first_name IN ?", []string{"Mika", "Yui"}).Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d members written while busy (%v)", n, err)
	}
	if err := app.DB.Model(&members.Campaign{}).Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d campaigns written while busy (%v)", n, err)
	}
	if got, _ := app.Members.Get(t.Context(), m.ID); got.Status != members.StatusActive {
		t.Errorf("member archived while busy: %s", got.Status)
	}
	if resp, body := admin.Do(t, http.MethodPost, "/api/v1/members", create); resp.StatusCode != http.StatusCreated {
		t.Errorf("API create once free: %d %s", resp.StatusCode, body)
	}
}
