package web_test

import (
	"net/http"
	"testing"

	"membership/web"
	"membership/web/webtest"
)

// TestProblemInReadersLanguage: problem JSON's title and detail follow Accept-Language, while
// its type, status and field names stay the same in every language.
func TestProblemInReadersLanguage(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.API(t, "admin")
	invalid := map[string]any{"first_name": "", "last_name": "X", "email": "not-mail"}
	tests := []struct {
		name, lang, method, path string
		body                     any
		status                   int
		title, detail            string
	}{
		{"not found in German", "de-DE,de;q=0.9", http.MethodGet, "/api/v1/members/999999", nil, http.StatusNotFound, "Nicht gefunden", ""},
		{"not found in English", "en", http.MethodGet, "/api/v1/members/999999", nil, http.StatusNotFound, "Not Found", ""},
		{"invalid in German", "de", http.MethodPost, "/api/v1/members", invalid, http.StatusUnprocessableEntity, "Ungültige Eingabe", "Einige Felder sind nicht gültig; siehe errors."},
		{"invalid in English", "en", http.MethodPost, "/api/v1/members", invalid, http.StatusUnprocessableEntity, "Invalid input", "Some fields are not valid; see errors."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := admin.Do(t, tc.method, tc.path, tc.body, "Accept-Language", tc.lang)
			var p web.Problem
			webtest.DecodeJSON(t, body, &p)
			if resp.StatusCode != tc.status || p.Status != tc.status || p.Type != "about:blank" || p.Title != tc.title {
				t.Fatalf("%d %+v, want %d titled %q", resp.StatusCode, p, tc.status, tc.title)
			}
			if tc.detail != "" && p.Detail != tc.detail {
				t.Errorf("detail %q, want %q", p.Detail, tc.detail)
			}
			if tc.status == http.StatusUnprocessableEntity {
				fields := map[string]bool{}
				for _, f := range p.Errors {
					fields[f.Field] = true
				}
				if !fields["first_name"] || !fields["email"] {
					t.Errorf("field names changed: %+v", p.Errors)
				}
			}
		})
	}
}
