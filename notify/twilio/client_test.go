package twilio_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"membership/notify"
	"membership/notify/notifytest"
	"membership/notify/twilio"
)

const from = "+15005550006"

func newClient(f *notifytest.TwilioFake, hc *http.Client) *twilio.Client {
	return twilio.New(twilio.Config{
		AccountSID:     f.AccountSID,
		AuthToken:      f.AuthToken,
		From:           from,
		BaseURL:        f.URL,
		StatusCallback: "https://club.example/webhooks/twilio/status",
	}, hc)
}

func TestSendSMS(t *testing.T) {
	tests := []struct {
		name     string
		sms      notify.SMS
		callback string
	}{
		{"config callback", notify.SMS{To: "+4915123456789", Body: "Your code is 123456"}, "https://club.example/webhooks/twilio/status"},
		{"own callback", notify.SMS{To: "+4915123456789", Body: "Grüße 🥋", StatusCallback: "https://x.example/cb"}, "https://x.example/cb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := notifytest.NewTwilio(t)
			sid, err := newClient(f, nil).SendSMS(t.Context(), tc.sms)
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			msgs := f.Messages()
			if len(msgs) != 1 {
				t.Fatalf("fake got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.SID != sid || got.To != tc.sms.To || got.Body != tc.sms.Body || got.From != from || got.StatusCallback != tc.callback {
				t.Errorf("fake got %+v, sid %q; want to %q body %q from %q callback %q", got, sid, tc.sms.To, tc.sms.Body, from, tc.callback)
			}
		})
	}
}

func TestSendSMSMessagingService(t *testing.T) {
	f := notifytest.NewTwilio(t)
	c := twilio.New(twilio.Config{AccountSID: f.AccountSID, AuthToken: f.AuthToken,
		MessagingServiceSID: "MG0123456789abcdef0123456789abcdef", BaseURL: f.URL + "/"}, nil)
	if _, err := c.SendSMS(t.Context(), notify.SMS{To: "+4915123456789", Body: "hi"}); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	if got := f.Messages()[0]; got.MessagingServiceSID != "MG0123456789abcdef0123456789abcdef" || got.From != "" {
		t.Errorf("fake got %+v, want the messaging service and no from", got)
	}
}

func TestSendSMSErrors(t *testing.T) {
	tests := []struct {
		name       string
		to         string // empty: a valid number
		token      string // empty: the fake's
		fail       *notifytest.Failure
		hc         *http.Client
		timeout    time.Duration // on the context
		permanent  bool
		code       string
		status     int
		retryAfter time.Duration
	}{
		{name: "invalid number", to: "0151-nope", permanent: true, code: "21211", status: 400},
		{name: "no recipient", to: "-", permanent: true, code: "no_recipient"},
		{name: "unsubscribed", fail: &notifytest.Failure{Status: 400, Code: 21610, Message: "Attempt to send to unsubscribed recipient"}, permanent: true, code: "21610", status: 400},
		{name: "bad sender", fail: &notifytest.Failure{Status: 400, Code: 21606}, permanent: true, code: "21606", status: 400},
		{name: "wrong token", token: "ffffffffffffffffffffffffffffffff", permanent: true, code: "20003", status: 401},
		{name: "forbidden", fail: &notifytest.Failure{Status: 403, Code: 20403}, permanent: true, code: "20403", status: 403},
		{name: "rate limited", fail: &notifytest.Failure{Status: 429, RetryAfter: "3"}, code: "20429", status: 429, retryAfter: 3 * time.Second},
		{name: "server error", fail: &notifytest.Failure{Status: 500}, code: "20500", status: 500},
		{name: "unavailable", fail: &notifytest.Failure{}, code: "20503", status: 503},
		{name: "html from a proxy", fail: &notifytest.Failure{Status: 502, Body: "<html>Bad Gateway</html>"}, status: 502},
		{name: "html 403 from a proxy", fail: &notifytest.Failure{Status: 403, Body: "<html>Forbidden</html>"}, permanent: true, status: 403},
		{name: "hung, client timeout", fail: &notifytest.Failure{Hang: true}, hc: &http.Client{Timeout: 100 * time.Millisecond}, code: "timeout"},
		// A client without timeout: only the context can end this send.
		{name: "hung, context deadline", fail: &notifytest.Failure{Hang: true}, hc: &http.Client{}, timeout: 100 * time.Millisecond, code: "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := notifytest.NewTwilio(t)
			if tc.fail != nil {
				f.FailNth(1, *tc.fail)
			}
			cfg := twilio.Config{AccountSID: f.AccountSID, AuthToken: f.AuthToken, From: from, BaseURL: f.URL}
			if tc.token != "" {
				cfg.AuthToken = tc.token
			}
			to := cmp.Or(tc.to, "+4915123456789")
			if to == "-" {
				to = ""
			}
			_, err := twilio.New(cfg, tc.hc).SendSMS(notifytest.Context(t, tc.timeout), notify.SMS{To: to, Body: "hello"})
			got := notifytest.WantError(t, err, notify.Error{Provider: "twilio", Code: tc.code, Status: tc.status, Permanent: tc.permanent})
			if got.RetryAfter != tc.retryAfter {
				t.Errorf("retry after %v, want %v", got.RetryAfter, tc.retryAfter)
			}
			if len(f.Messages()) != 0 {
				t.Errorf("fake recorded %d messages, want none", len(f.Messages()))
			}
		})
	}
}

// TestSendSMSRetryAfterTransientFailure is what a retrying caller sees: a
// transient failure, then success, and one message at the provider.
func TestSendSMSRetryAfterTransientFailure(t *testing.T) {
	f := notifytest.NewTwilio(t)
	f.FailNth(1, notifytest.Failure{})
	c := newClient(f, nil)
	sms := notify.SMS{To: "+4915123456789", Body: "hello"}
	if _, err := c.SendSMS(t.Context(), sms); notify.IsPermanent(err) || err == nil {
		t.Fatalf("first send error = %v, want a transient error", err)
	}
	sid, err := c.SendSMS(t.Context(), sms)
	if err != nil {
		t.Fatalf("second send: %v", err)
	}
	if f.Attempts() != 2 || len(f.Messages()) != 1 || f.Messages()[0].SID != sid {
		t.Errorf("attempts %d, messages %+v, sid %q", f.Attempts(), f.Messages(), sid)
	}
}

func TestSendSMSUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := twilio.New(twilio.Config{AccountSID: "AC1", AuthToken: "t", From: from, BaseURL: url}, nil)
	_, err := c.SendSMS(t.Context(), notify.SMS{To: "+4915123456789", Body: "hi"})
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Permanent || ne.Code != "network" {
		t.Errorf("error = %v, want transient network error", err)
	}
}

func TestSendSMSBadBaseURL(t *testing.T) {
	for _, base := range []string{"not a url", "/relative", "http://%zz"} {
		c := twilio.New(twilio.Config{AccountSID: "AC1", AuthToken: "t", From: from, BaseURL: base}, nil)
		_, err := c.SendSMS(t.Context(), notify.SMS{To: "+4915123456789", Body: "hi"})
		if !notify.IsPermanent(err) {
			t.Errorf("base %q: error = %v, want permanent", base, err)
		}
	}
}

// BenchmarkSendSMS measures a send through twilio-go against the fake, and
// the same request made with net/http alone: the difference is what the
// twilio-go client and our wrapping cost per send.
func BenchmarkSendSMS(b *testing.B) {
	f := notifytest.NewTwilio(b)
	sms := notify.SMS{To: "+4915123456789", Body: "Your code is 123456"}
	b.Run("twilio-go", func(b *testing.B) {
		c := newClient(f, nil)
		for b.Loop() {
			if _, err := c.SendSMS(b.Context(), sms); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/http baseline", func(b *testing.B) {
		hc := &http.Client{}
		endpoint := f.URL + "/2010-04-01/Accounts/" + f.AccountSID + "/Messages.json"
		form := url.Values{"To": {sms.To}, "From": {from}, "Body": {sms.Body}}.Encode()
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, endpoint, strings.NewReader(form))
			if err != nil {
				b.Fatal(err)
			}
			req.SetBasicAuth(f.AccountSID, f.AuthToken)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var msg struct{ Sid string }
			err = json.NewDecoder(resp.Body).Decode(&msg)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusCreated || msg.Sid == "" {
				b.Fatalf("status %d, sid %q, %v", resp.StatusCode, msg.Sid, err)
			}
		}
	})
}
