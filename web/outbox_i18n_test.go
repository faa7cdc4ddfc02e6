package web_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"membership/notify"
	"membership/web/webtest"
)

// TestOutboxPageInLanguages: the outbox page's words and times follow the admin's language; the
// messages themselves stay as they were sent.
func TestOutboxPageInLanguages(t *testing.T) {
	app, n := webtest.StartNotifying(t, webtest.Options{})
	if _, err := n.Outbox.SendSMS(context.Background(), notify.SMS{To: "+4915123456789", Body: "Code 493817"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, title, to string
		dateTime        *regexp.Regexp
	}{
		{lang: "en", title: "Outbox", to: "To", dateTime: regexp.MustCompile(`^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM|am|pm)$`)},
		{lang: "de", title: "Postausgang", to: "An", dateTime: regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			doc := page(t, adminSpeaking(t, app, tc.lang), "/outbox", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			if got := doc.Find(`[data-testid="outbox-messages"] th`).Eq(2).Text(); got != tc.to {
				t.Errorf("column %q, want %q", got, tc.to)
			}
			if got := doc.Find(`[data-testid="outbox-messages"] time`).First().Text(); !tc.dateTime.MatchString(got) {
				t.Errorf("time %q, want it as %s", got, tc.dateTime)
			}
		})
	}
}
