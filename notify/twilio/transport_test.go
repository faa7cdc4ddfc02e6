package twilio

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

type canned struct {
	resp *http.Response
	req  *http.Request
}

func (c *canned) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	return c.resp, nil
}

// TestSendTransport checks the rewrite, the recorded response, the context
// and that an error body is closed for twilio-go, which never closes it.
func TestSendTransport(t *testing.T) {
	tests := []struct {
		name       string
		base       string
		status     int
		wantURL    string
		wantClosed bool
	}{
		{"success keeps body open", "", 201, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", false},
		{"error body closed", "", 429, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", true},
		{"base host", "http://127.0.0.1:9", 201, "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages.json", false},
		{"base with path", "http://gw.example/twilio/", 500, "http://gw.example/twilio/2010-04-01/Accounts/AC1/Messages.json", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := &closeRecorder{Reader: strings.NewReader(`{"code":20429}`)}
			next := &canned{resp: &http.Response{StatusCode: tc.status, Body: body, Header: http.Header{"Retry-After": {"5"}}}}
			ctx := context.WithValue(t.Context(), closeRecorder{}, "send")
			rt := &sendTransport{ctx: ctx, next: next}
			if tc.base != "" {
				u, err := url.Parse(tc.base)
				if err != nil {
					t.Fatal(err)
				}
				rt.base = u
			}
			req, err := http.NewRequest(http.MethodPost, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			if got := next.req.URL.String(); got != tc.wantURL {
				t.Errorf("url = %s, want %s", got, tc.wantURL)
			}
			if next.req.Context().Value(closeRecorder{}) != "send" {
				t.Errorf("request does not carry the send's context")
			}
			if rt.last.status != tc.status || rt.last.retryAfter != "5" {
				t.Errorf("last = %+v", rt.last)
			}
			if body.closed != tc.wantClosed {
				t.Errorf("original body closed = %v, want %v", body.closed, tc.wantClosed)
			}
			if b, err := io.ReadAll(resp.Body); err != nil || string(b) != `{"code":20429}` {
				t.Errorf("body = %q, %v", b, err)
			}
		})
	}
}
