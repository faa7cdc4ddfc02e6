package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"membership/members"
	"membership/web/webtest"
)

// TestEraseInGerman: the erasure page, its refusal of a wrong name and the flash after it speak
// the admin's language; so does the refusal of a role that may not erase.
func TestEraseInGerman(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	flashAfter(t, admin, "/settings/language", url.Values{"language": {"de"}})
	m, err := app.Members.Create(context.Background(), "user:1", members.MemberInput{FirstName: "Aiko", LastName: "Tanaka", Status: members.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	path := "/members/" + strconv.FormatInt(m.ID, 10) + "/erase"
	doc := page(t, admin, path, http.StatusOK)
	if got := doc.Find("h1").Text(); got != "Aiko Tanaka löschen" {
		t.Errorf("heading %q", got)
	}
	if got := doc.Find(`[data-testid="erase-form"] button`).Text(); got != "Endgültig löschen" {
		t.Errorf("button %q", got)
	}
	resp, body := admin.PostFormBody(t, path, url.Values{"confirm_name": {"Someone Else"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Geben Sie zur Bestätigung den vollen Namen") {
		t.Errorf("wrong name: %d, want 422 with the German refusal", resp.StatusCode)
	}
	if got := flashAfter(t, admin, path, url.Values{"confirm_name": {"aiko  tanaka"}}); !strings.HasPrefix(got, "Mitglied gelöscht.") {
		t.Errorf("flash %q, want the German confirmation", got)
	}
	trainer := app.API(t, "trainer")
	resp, raw := trainer.Do(t, http.MethodPost, "/api/v1/members", map[string]any{"first_name": "A", "last_name": "B"}, "Accept-Language", "de")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(raw), "Trainer und darf nur lesen") {
		t.Errorf("trainer's write: %d %s, want 403 in German", resp.StatusCode, raw)
	}
}
