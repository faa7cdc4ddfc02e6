package sendgrid

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"

	"membership/notify"
)

// errorBody is SendGrid's error response:
// {"errors":[{"message":"…","field":"from.email","help":"…"}]}.
type errorBody struct {
	Errors []struct {
		Message string  `json:"message"`
		Field   *string `json:"field"`
	} `json:"errors"`
}

// classify turns an HTTP error response into a *notify.Error. Code is the
// field the first error names ("from", "personalizations.0.to"), if any.
func classify(resp *rest.Response, now time.Time) *notify.Error {
	e := &notify.Error{
		Provider:  provider,
		Status:    resp.StatusCode,
		Permanent: notify.PermanentStatus(resp.StatusCode),
	}
	var body errorBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err == nil && len(body.Errors) > 0 {
		msgs := make([]string, 0, len(body.Errors))
		for _, be := range body.Errors {
			msgs = append(msgs, be.Message)
		}
		e.Message = strings.Join(msgs, "; ")
		if f := body.Errors[0].Field; f != nil {
			e.Code = *f
		}
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if !e.Permanent {
		e.RetryAfter = retryAfter(http.Header(resp.Headers), now)
	}
	e.Hint = hint(e.Status, e.Code)
	return e
}

// retryAfter reads Retry-After, or else X-RateLimit-Reset (the Unix time at
// which SendGrid's rate-limit window reopens), which is what SendGrid sends
// with its 429s.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := notify.ParseRetryAfter(h.Get("Retry-After"), now); d > 0 {
		return d
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil {
		return 0
	}
	return max(time.Unix(reset, 0).Sub(now), 0)
}

// hint says what an admin can do about a SendGrid refusal.
func hint(status int, field string) string {
	switch {
	case status == http.StatusUnauthorized:
		return "SendGrid did not accept the API key: check notify.email.sendgrid.api_key (a key with the Mail Send permission)."
	case status == http.StatusForbidden || strings.HasPrefix(field, "from"):
		return "SendGrid refused the sender: verify notify.email.from as a sender identity in SendGrid, and give the API key the Mail Send permission."
	case strings.HasPrefix(field, "personalizations"):
		return "SendGrid refused the recipient: check the member's e-mail address."
	case status == http.StatusRequestEntityTooLarge:
		return "The message is too large for SendGrid: shorten it."
	}
	return ""
}
