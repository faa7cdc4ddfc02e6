package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"membership/members"
	"membership/web/webtest"
)

// TestVerificationAdminInLanguages: the verification part of a member's page, its flash
// messages and the bulk action's count speak the admin's language; the state's badge class
// stays the stored state.
func TestVerificationAdminInLanguages(t *testing.T) {
	a := startVerifyApp(t, nil)
	tests := []struct {
		lang                                   string
		title, phone, sent, running, cancel    string
		detail                                 *regexp.Regexp
		cancelled, cancelledState, bulkStarted string
		attemptsLeft, validUntil               string // the workflow's custom status, labelled
		dateTime                               *regexp.Regexp
	}{
		{
			lang: "en", title: "Verification", phone: "Phone", sent: "A code is on its way by SMS", running: "code sent",
			cancel: "Cancel verification", detail: regexp.MustCompile(`^5 attempts left · valid until [A-Z][a-z]{2} \d{1,2}, \d{4}, `),
			cancelled: "The verification is cancelled.", cancelledState: "cancelled", bulkStarted: "Started 1 verification.",
			attemptsLeft: "Attempts left", validUntil: "Valid until",
			dateTime: regexp.MustCompile(`^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM|am|pm)$`),
		},
		{
			lang: "de", title: "Bestätigung", phone: "Telefon", sent: "Ein Code ist per SMS unterwegs", running: "Code gesendet",
			cancel: "Bestätigung abbrechen", detail: regexp.MustCompile(`^noch 5 Versuche · gültig bis \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`),
			cancelled: "Die Bestätigung ist abgebrochen.", cancelledState: "abgebrochen", bulkStarted: "1 Bestätigung gestartet.",
			attemptsLeft: "Verbleibende Versuche", validUntil: "Gültig bis",
			dateTime: regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`),
		},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			admin := adminSpeaking(t, a.App, tc.lang)
			m := a.member(t, members.StatusActive)
			memberPage := fmt.Sprintf("/members/%d", m.ID)

			if got := flashAfter(t, admin, memberPage+"/verify-phone", nil); !strings.HasPrefix(got, tc.sent) {
				t.Errorf("flash %q, want %q", got, tc.sent)
			}
			a.v.WaitSMS(t, m.Phone, 1)
			// The code's expiry shows once the workflow has sent it.
			frag := waitForPage(t, admin, memberPage+"/verification", "detail as "+tc.detail.String(), func(doc *goquery.Document) bool {
				return tc.detail.MatchString(doc.Find(`[data-testid="verification-phone"] small`).Text())
			})
			if got := frag.Find("h2").Text(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			if got := frag.Find(`[data-testid="verification-phone"] th`).Text(); got != tc.phone {
				t.Errorf("row %q, want %q", got, tc.phone)
			}
			state := frag.Find(`[data-testid="verification-phone-state"]`)
			if state.Text() != tc.running || !state.HasClass("badge-running") {
				t.Errorf("state %q with classes %q, want %q and badge-running", state.Text(), state.AttrOr("class", ""), tc.running)
			}
			if got := frag.Find(`form[action$="/verifications/cancel"] button`).Text(); got != tc.cancel {
				t.Errorf("cancel button %q, want %q", got, tc.cancel)
			}

			// The monitor labels the fields of the workflow's custom status.
			instance := "/workflows/" + url.PathEscape(members.VerificationInstanceID(members.VerifyPhone, m.ID, 1))
			fields := waitForPage(t, admin, instance, "custom status with an expiry", func(doc *goquery.Document) bool {
				return doc.Find(`[data-testid="custom-status-fields"] tr[data-key="expires_at"]`).Length() > 0
			}).Find(`[data-testid="custom-status-fields"]`)
			if got := fields.Find(`tr[data-key="attempts_left"]`).Text(); got != tc.attemptsLeft+"5" {
				t.Errorf("attempts left %q, want %q", got, tc.attemptsLeft+"5")
			}
			expires := fields.Find(`tr[data-key="expires_at"]`)
			if th, td := expires.Find("th").Text(), expires.Find("td").Text(); th != tc.validUntil || !tc.dateTime.MatchString(td) {
				t.Errorf("expiry %q: %q, want %q and a time as %s", th, td, tc.validUntil, tc.dateTime)
			}

			if got := flashAfter(t, admin, memberPage+"/verifications/cancel", nil); got != tc.cancelled {
				t.Errorf("flash %q, want %q", got, tc.cancelled)
			}
			waitRun(t, a, members.VerificationInstanceID(members.VerifyPhone, m.ID, 1), members.VerificationCancelled)
			frag = page(t, admin, memberPage+"/verification", http.StatusOK)
			if got := frag.Find(`[data-testid="verification-phone-state"]`).Text(); got != tc.cancelledState {
				t.Errorf("state after cancel %q, want %q", got, tc.cancelledState)
			}

			other := a.member(t, members.StatusActive)
			form := url.Values{"ids": {fmt.Sprint(other.ID)}, "kind": {"phone"}, "next": {"/members"}}
			if got := flashAfter(t, admin, "/members/verify", form); got != tc.bulkStarted {
				t.Errorf("bulk flash %q, want %q", got, tc.bulkStarted)
			}
		})
	}
}

// flashAfter sends a form as b and returns the flash of the page it leads to.
func flashAfter(t *testing.T, b *webtest.Browser, path string, form url.Values) string {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	resp := b.PostForm(t, path, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d, want 303", path, resp.StatusCode)
	}
	return page(t, b, resp.Header.Get("Location"), http.StatusOK).Find(`[data-testid="flash"]`).Text()
}

// waitForPage fetches path until ok accepts its page; what says what the test waits for.
func waitForPage(t *testing.T, b *webtest.Browser, path, what string, ok func(*goquery.Document) bool) *goquery.Document {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		doc := page(t, b, path, http.StatusOK)
		if ok(doc) {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after 10 s", path, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
