package twilio

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxErrorBody bounds how much of an error response we keep in memory.
const maxErrorBody = 64 << 10

// sendTransport is the http.RoundTripper of one send. It gives twilio-go
// what its API lacks:
//   - the send's context, which CreateMessage cannot take;
//   - another host: requests to https://api.twilio.com go to base instead;
//   - the response's status and Retry-After header, which twilio-go drops
//     when it turns an error response into a TwilioRestError.
//
// One send makes its requests one after another, so last needs no lock; it
// is read after CreateMessage has returned.
type sendTransport struct {
	ctx  context.Context
	base *url.URL          // nil: leave the URL alone
	next http.RoundTripper // nil: http.DefaultTransport
	last response
}

// response is what sendTransport saw of the last response.
type response struct {
	status     int
	retryAfter string
}

// RoundTrip implements http.RoundTripper.
func (t *sendTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	if t.base != nil {
		r.URL.Scheme = t.base.Scheme
		r.URL.Host = t.base.Host
		r.URL.Path = strings.TrimSuffix(t.base.Path, "/") + r.URL.Path
		r.URL.RawPath = ""
		r.Host = ""
	}
	next := t.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.last = response{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.StatusCode >= 400 {
		// twilio-go decodes an error body but never closes it, which would
		// keep the connection from going back to the pool: buffer it here
		// and close the real one.
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read error response: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}
