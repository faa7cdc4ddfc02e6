package web_test

import (
	"net/http"
	"testing"

	"membership/web/webtest"
)

// TestErrorPageInLanguages: the browser's error page leads back in the reader's language.
func TestErrorPageInLanguages(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	for lang, want := range map[string]string{"en": "Back to the dashboard", "de": "Zurück zur Übersicht"} {
		t.Run(lang, func(t *testing.T) {
			doc := page(t, adminSpeaking(t, app, lang), "/campaigns/999999", http.StatusNotFound)
			if got := doc.Find(`[data-testid="error-back"]`).Text(); got != want {
				t.Errorf("link %q, want %q", got, want)
			}
			if got := doc.Find("article small").Text(); got != "HTTP 404" {
				t.Errorf("status %q, want HTTP 404", got)
			}
		})
	}
}
