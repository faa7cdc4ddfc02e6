package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"membership/web/auth"
	"membership/web/webtest"
)

// TestMonitorInLanguages: an admin reads the workflow monitor in the language of the admin's
// setting — headings, column labels, runtime statuses, times, ages, the timeline's bar titles,
// the confirmations and the flash messages — while the values the code reads (option values,
// badge classes, data attributes) stay the engine's.
func TestMonitorInLanguages(t *testing.T) {
	a := newDurableApp(t)
	done := a.start(t, "Hello", `"Ada"`)
	a.await(t, done, "Completed")

	tests := []struct {
		lang                              string
		title, column, completed, running string
		history, step, confirm            string
		requested, refused, notFound      string
		dateTime, age                     *regexp.Regexp
	}{
		{
			lang: "en", title: "Workflows", column: "Created", completed: "Completed", running: "Running",
			history: "History", step: "Activity Greet: Completed after", confirm: "Terminate this workflow?",
			requested: "Termination requested.", refused: "Not possible now: the workflow is Terminated.",
			notFound: "There is no such workflow (any more).",
			dateTime: regexp.MustCompile(`^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM|am|pm)$`),
			age:      regexp.MustCompile(`^\d+ (second|seconds|minute|minutes)$`),
		},
		{
			lang: "de", title: "Abläufe", column: "Erstellt", completed: "Abgeschlossen", running: "Läuft",
			history: "Verlauf", step: "Aktivität Greet: Abgeschlossen nach", confirm: "Diesen Ablauf beenden?",
			requested: "Beenden angefordert.", refused: "Jetzt nicht möglich: Der Ablauf hat den Status „Beendet“.",
			notFound: "Diesen Ablauf gibt es nicht (mehr).",
			dateTime: regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`),
			age:      regexp.MustCompile(`^\d+ (Sekunde|Sekunden|Minute|Minuten)$`),
		},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			admin := adminSpeaking(t, a.App, tc.lang)
			running := a.start(t, "Wait", "")
			a.await(t, running, "Running")

			doc := page(t, admin, "/workflows", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			if got := doc.Find(`[data-testid="workflows"] th`).Eq(3).Text(); got != tc.column {
				t.Errorf("column %q, want %q", got, tc.column)
			}
			if got := doc.Find(`#runtimeStatus option[value="Completed"]`).Text(); got != tc.completed {
				t.Errorf("status choice %q, want %q", got, tc.completed)
			}
			row := monitorRow(doc, done)
			if badge := row.Find(`[data-testid="status"]`); badge.Text() != tc.completed || !badge.HasClass("badge-completed") {
				t.Errorf("badge %q with classes %q, want %q and badge-completed", badge.Text(), badge.AttrOr("class", ""), tc.completed)
			}
			if got := row.Find("time").Text(); !tc.dateTime.MatchString(got) {
				t.Errorf("created %q, want it as %s", got, tc.dateTime)
			}
			if got := row.Find("td").Last().Text(); !tc.age.MatchString(got) {
				t.Errorf("age %q, want it as %s", got, tc.age)
			}
			if got := monitorRow(doc, running).Find(`[data-testid="status"]`).Text(); got != tc.running {
				t.Errorf("running badge %q, want %q", got, tc.running)
			}

			doc = page(t, admin, "/workflows/"+url.PathEscape(done), http.StatusOK)
			if got := doc.Find(`#workflow-live h2`).Last().Text(); got != tc.history {
				t.Errorf("history heading %q, want %q", got, tc.history)
			}
			if got := doc.Find(`[data-testid="step"][data-name="Greet"] title`).Text(); !strings.HasPrefix(got, tc.step) {
				t.Errorf("bar title %q, want it to start %q", got, tc.step)
			}

			doc = page(t, admin, "/workflows/"+url.PathEscape(running), http.StatusOK)
			if got := doc.Find(`#workflow-live [data-testid="status"]`).Text(); got != tc.running {
				t.Errorf("instance status %q, want %q", got, tc.running)
			}
			if got := doc.Find(`form[action$="/terminate"] button`).AttrOr("data-confirm", ""); !strings.HasPrefix(got, tc.confirm) {
				t.Errorf("terminate asks %q, want %q", got, tc.confirm)
			}
			if got := flashAfter(t, admin, "/workflows/"+url.PathEscape(running)+"/terminate", nil); got != tc.requested {
				t.Errorf("flash %q, want %q", got, tc.requested)
			}
			a.await(t, running, "Terminated")
			if _, body := admin.Get(t, "/workflows/nobody"); !strings.Contains(body, tc.notFound) {
				t.Errorf("an unknown workflow's page does not say %q", tc.notFound)
			}
			if got := flashAfter(t, admin, "/workflows/"+url.PathEscape(running)+"/terminate", nil); got != tc.refused {
				t.Errorf("flash %q, want %q", got, tc.refused)
			}
		})
	}
}

// adminSpeaking signs in a new admin whose language setting is lang.
func adminSpeaking(t *testing.T, a *webtest.App, lang string) *webtest.Browser {
	t.Helper()
	email, password := lang+"-admin@example.org", "a long enough password"
	u, err := a.Auth.AddUser(context.Background(), email, "Admin "+lang, auth.RoleAdmin, password)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Auth.SetLanguage(context.Background(), u.ID, lang); err != nil {
		t.Fatal(err)
	}
	return a.Login(t, email, password)
}

// monitorRow is the monitor list's row of instance id.
func monitorRow(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="workflow-row"]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find("code").Text() == id
	})
}
