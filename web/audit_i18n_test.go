package web_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"

	"membership/members"
	"membership/web/webtest"
)

// TestAuditPageInLanguages: the audit log's heading, columns, actions and times speak the
// admin's language; the stored action stays in data-action.
func TestAuditPageInLanguages(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	if _, err := app.Members.Create(context.Background(), "user:1", members.MemberInput{FirstName: "Ada", LastName: "Okafor",
		Email: "ada@example.org", Status: members.StatusActive}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, title, when, created string
		dateTime                   *regexp.Regexp
	}{
		{lang: "en", title: "Audit log", when: "When", created: "created",
			dateTime: regexp.MustCompile(`^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM|am|pm)$`)},
		{lang: "de", title: "Protokoll", when: "Wann", created: "angelegt",
			dateTime: regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			doc := page(t, adminSpeaking(t, app, tc.lang), "/audit", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			if got := doc.Find(`[data-testid="audit"] th`).First().Text(); got != tc.when {
				t.Errorf("column %q, want %q", got, tc.when)
			}
			action := doc.Find(`[data-testid="audit-row"] td[data-action="create"]`).First()
			if action.Text() != tc.created {
				t.Errorf("action %q, want %q", action.Text(), tc.created)
			}
			if got := action.Parent().Find("time").Text(); !tc.dateTime.MatchString(got) {
				t.Errorf("time %q, want it as %s", got, tc.dateTime)
			}
		})
	}
}
