package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"membership/web/webtest"
)

// TestLanguageSetting: an admin picks German on the account page; the answer's flash and every
// page after it speak German, and the switch back to English does the same in English. The
// form carries the CSRF token like every other, and a post without it is refused.
func TestLanguageSetting(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)

	doc := page(t, admin, "/settings/password", http.StatusOK)
	form := doc.Find(`form[data-testid="language-form"]`)
	if form.AttrOr("action", "") != "/settings/language" || form.Find(`input[name="_csrf"]`).Length() != 1 {
		t.Fatalf("no language form with a CSRF token on the account page")
	}
	if got := form.Find(`option[value="de"]`).Text(); got != "Deutsch" {
		t.Errorf("German is offered as %q, want Deutsch", got)
	}
	if got := doc.Find("h2").Text(); got != "Language" {
		t.Errorf("heading %q, want Language", got)
	}
	if resp := admin.PostForm(t, "/settings/language", url.Values{"language": {"de"}, "_csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", resp.StatusCode)
	}

	tests := []struct {
		lang, flash, users, disable, selected, confirm string
	}{
		{lang: "de", flash: "Die Seiten sprechen jetzt Deutsch.", users: "Benutzer", disable: "Sperren", selected: "Deutsch",
			confirm: webtest.AdminEmail + " sperren? Die Person wird sofort abgemeldet."},
		{lang: "en", flash: "The pages now speak English.", users: "Users", disable: "Disable", selected: "English",
			confirm: "Disable " + webtest.AdminEmail + "? They are logged out at once."},
		{lang: "", flash: "The pages now speak English.", users: "Users", disable: "Disable", selected: "Club default",
			confirm: "Disable " + webtest.AdminEmail + "? They are logged out at once."},
	}
	for _, tc := range tests {
		t.Run("to "+tc.lang, func(t *testing.T) {
			if got := flashAfter(t, admin, "/settings/language", url.Values{"language": {tc.lang}}); got != tc.flash {
				t.Errorf("flash %q, want %q", got, tc.flash)
			}
			doc := page(t, admin, "/settings/password", http.StatusOK)
			if got := doc.Find(`#language option[selected]`).Text(); got != tc.selected {
				t.Errorf("selected %q, want %q", got, tc.selected)
			}
			doc = page(t, admin, "/settings/users", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.users {
				t.Errorf("users heading %q, want %q", got, tc.users)
			}
			button := doc.Find(`form[action$="/disable"] button`).First()
			if button.Text() != tc.disable {
				t.Errorf("disable button %q, want %q", button.Text(), tc.disable)
			}
			if got := button.AttrOr("data-confirm", ""); got != tc.confirm {
				t.Errorf("disable asks %q, want %q", got, tc.confirm)
			}
		})
	}

	resp, body := admin.PostFormBody(t, "/settings/language", url.Values{"language": {"fr"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown language: %d, want 422", resp.StatusCode)
	}
	if got := parse(t, body).Find(`[data-testid="error-language"]`).Text(); got == "" {
		t.Error("an unknown language is refused without saying why")
	}
}

// TestTokensPageInLanguages: the API tokens page, its revoke confirmation and flash, and the
// token's times speak the admin's language.
func TestTokensPageInLanguages(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	tests := []struct {
		lang, title, role, never, confirm, revoked string
		dateTime                                   *regexp.Regexp
	}{
		{lang: "en", title: "API tokens", role: "trainer", never: "never", confirm: "Revoke the token export-en? Scripts using it stop working.",
			revoked: "Token revoked.", dateTime: regexp.MustCompile(`^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM|am|pm)$`)},
		{lang: "de", title: "API-Schlüssel", role: "Trainer", never: "nie", confirm: "Den Schlüssel export-de widerrufen? Skripte, die ihn verwenden, funktionieren dann nicht mehr.",
			revoked: "Schlüssel widerrufen.", dateTime: regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			admin := adminSpeaking(t, app, tc.lang)
			if resp := admin.PostForm(t, "/settings/tokens", url.Values{"name": {"export-" + tc.lang}, "role": {"trainer"}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("create token: %d", resp.StatusCode)
			}
			doc := page(t, admin, "/settings/tokens", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			row := doc.Find(`[data-testid="token-row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
				return s.Find("td").First().Text() == "export-"+tc.lang
			})
			cells := row.Find("td")
			if got := cells.Eq(1).Text(); got != tc.role {
				t.Errorf("role %q, want %q", got, tc.role)
			}
			if got := cells.Eq(3).Text(); !tc.dateTime.MatchString(got) {
				t.Errorf("created %q, want it as %s", got, tc.dateTime)
			}
			if got := cells.Eq(4).Text(); got != tc.never {
				t.Errorf("last used %q, want %q", got, tc.never)
			}
			form := row.Find(`form[action$="/revoke"]`)
			if got := form.Find("button").AttrOr("data-confirm", ""); got != tc.confirm {
				t.Errorf("revoke asks %q, want %q", got, tc.confirm)
			}
			if got := flashAfter(t, admin, form.AttrOr("action", ""), nil); got != tc.revoked {
				t.Errorf("flash %q, want %q", got, tc.revoked)
			}
		})
	}
}
