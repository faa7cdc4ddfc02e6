package sendgrid_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"membership/notify"
	"membership/notify/notifytest"
	"membership/notify/sendgrid"
)

func email() notify.Email {
	return notify.Email{
		To: "ada@example.org", ToName: "Ada Lovelace", From: "My Dojo <dojo@example.org>",
		Subject: "Your membership", Text: "Hello Ada", HTML: "<p>Hello Ada</p>",
		Headers: map[string]string{"List-Unsubscribe": "<https://club.example/u/1>"},
	}
}

func TestSendEmail(t *testing.T) {
	tests := []struct {
		name   string
		change func(*notify.Email)
	}{
		{"text and html", func(*notify.Email) {}},
		{"text only", func(m *notify.Email) { m.HTML = "" }},
		{"html only", func(m *notify.Email) { m.Text = "" }},
		{"bare sender address", func(m *notify.Email) { m.From = "dojo@example.org" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := notifytest.NewSendGrid(t)
			m := email()
			tc.change(&m)
			id, err := sendgrid.New(sendgrid.Config{APIKey: f.APIKey, BaseURL: f.URL}, nil).SendEmail(t.Context(), m)
			if err != nil {
				t.Fatalf("SendEmail: %v", err)
			}
			msgs := f.Messages()
			if len(msgs) != 1 {
				t.Fatalf("fake got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.ID != id || id == "" {
				t.Errorf("id = %q, fake answered %q", id, got.ID)
			}
			if got.To != m.To || got.ToName != m.ToName || got.From != "dojo@example.org" || got.Subject != m.Subject ||
				got.Text != m.Text || got.HTML != m.HTML || got.Headers["List-Unsubscribe"] != m.Headers["List-Unsubscribe"] {
				t.Errorf("fake got %+v, want %+v", got, m)
			}
		})
	}
}

func TestSendEmailErrors(t *testing.T) {
	reset := time.Now().Add(time.Hour).Unix()
	tests := []struct {
		name      string
		key       string // empty: the fake's
		change    func(*notify.Email)
		fail      *notifytest.Failure
		hc        *http.Client
		timeout   time.Duration
		permanent bool
		code      string
		status    int
		// minRetry is a lower bound for X-RateLimit-Reset, which is relative
		// to the clock; exact values are compared otherwise.
		retry    time.Duration
		minRetry time.Duration
	}{
		{name: "invalid recipient", change: func(m *notify.Email) { m.To = "not an address" }, permanent: true, code: "personalizations.0.to.0.email", status: 400},
		{name: "no subject", change: func(m *notify.Email) { m.Subject = "" }, permanent: true, code: "subject", status: 400},
		{name: "no recipient", change: func(m *notify.Email) { m.To = "" }, permanent: true, code: "no_recipient"},
		{name: "no sender", change: func(m *notify.Email) { m.From = "" }, permanent: true, code: "from"},
		{name: "malformed sender", change: func(m *notify.Email) { m.From = "dojo at example" }, permanent: true, code: "from"},
		{name: "no content", change: func(m *notify.Email) { m.Text, m.HTML = "", "" }, permanent: true, code: "content"},
		{name: "wrong key", key: "SG.wrong", permanent: true, status: 401},
		{name: "unverified sender", fail: &notifytest.Failure{Permanent: true}, permanent: true, code: "from", status: 403},
		{name: "rate limited, retry after", fail: &notifytest.Failure{Status: 429, RetryAfter: "4"}, status: 429, retry: 4 * time.Second},
		{name: "rate limited, reset", fail: &notifytest.Failure{Status: 429, Header: http.Header{"X-RateLimit-Reset": {strconv.FormatInt(reset, 10)}}}, status: 429, minRetry: 50 * time.Minute},
		{name: "server error", fail: &notifytest.Failure{}, status: 500},
		{name: "html from a proxy", fail: &notifytest.Failure{Status: 502, Body: "<html>Bad Gateway</html>"}, status: 502},
		{name: "hung, client timeout", fail: &notifytest.Failure{Hang: true}, hc: &http.Client{Timeout: 100 * time.Millisecond}, code: "timeout"},
		// A client without timeout: only the context can end this send.
		{name: "hung, context deadline", fail: &notifytest.Failure{Hang: true}, hc: &http.Client{}, timeout: 100 * time.Millisecond, code: "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := notifytest.NewSendGrid(t)
			if tc.fail != nil {
				f.FailNth(1, *tc.fail)
			}
			key := f.APIKey
			if tc.key != "" {
				key = tc.key
			}
			m := email()
			if tc.change != nil {
				tc.change(&m)
			}
			_, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: f.URL}, tc.hc).SendEmail(notifytest.Context(t, tc.timeout), m)
			ne := notifytest.WantError(t, err, notify.Error{Provider: "sendgrid", Code: tc.code, Status: tc.status, Permanent: tc.permanent})
			if tc.minRetry > 0 && ne.RetryAfter < tc.minRetry || tc.minRetry == 0 && ne.RetryAfter != tc.retry {
				t.Errorf("retry after %v, want %v (at least %v)", ne.RetryAfter, tc.retry, tc.minRetry)
			}
			if len(f.Messages()) != 0 {
				t.Errorf("fake recorded %d messages, want none", len(f.Messages()))
			}
		})
	}
}

func TestSendEmailUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	_, err := sendgrid.New(sendgrid.Config{APIKey: "k", BaseURL: srv.URL}, nil).SendEmail(t.Context(), email())
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Permanent || ne.Code != "network" {
		t.Errorf("error = %v, want transient network error", err)
	}
}

func BenchmarkSendEmail(b *testing.B) {
	f := notifytest.NewSendGrid(b)
	c := sendgrid.New(sendgrid.Config{APIKey: f.APIKey, BaseURL: f.URL}, nil)
	m := email()
	for b.Loop() {
		if _, err := c.SendEmail(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}
