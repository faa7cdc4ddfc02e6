package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a send that a provider refused or that did not reach it. Callers
// decide with IsPermanent whether retrying can help and with RetryAfterOf how
// long to wait first.
type Error struct {
	// Provider names the provider: "twilio", "sendgrid", "smtp".
	Provider string
	// Code is the provider's own error code ("21211", "550", "from.email"),
	// or "timeout" / "network" when the provider was not reached.
	Code string
	// Status is the HTTP status (or SMTP reply code); 0 when there was none.
	Status int
	// Message is the provider's explanation.
	Message string
	// Permanent is true when sending the same message again cannot succeed:
	// an invalid number, an unsubscribed recipient, a bad sender, a
	// rejected address, bad credentials.
	Permanent bool
	// RetryAfter is how long the provider asked us to wait (429 Retry-After).
	RetryAfter time.Duration
	// Hint tells an admin what to do about it, naming the configuration key or the member's
	// field to fix; empty when there is nothing better to say than Message.
	Hint string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	if e.Permanent {
		b.WriteString("permanent")
	} else {
		b.WriteString("transient")
	}
	if e.Status != 0 {
		b.WriteString(" status ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if e.Code != "" {
		b.WriteString(" code ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error, so errors.Is(err,
// context.DeadlineExceeded) holds for a timed-out send.
func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a *Error marked permanent. Any other
// error, including nil, is not: an unknown failure is worth a retry.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfterOf returns how long the provider asked us to wait before
// retrying, or 0 when it did not say.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// PermanentStatus reports whether an HTTP error status means the request
// itself is wrong (400, 401, 403, 404, 413, 422 …), so repeating it cannot
// help. 408, 425, 429 and every 5xx are transient.
func PermanentStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// ParseRetryAfter reads an HTTP Retry-After value, either delay-seconds or an
// HTTP date, relative to now. It returns 0 for an empty, malformed or past
// value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return max(at.Sub(now), 0)
}

// TransportError classifies an error from the way to the provider — a
// timeout, a refused or dropped connection, a cancelled context — as a
// transient *Error of provider. The message may or may not have been
// accepted; the notice ledger bounds the duplicates a retry can cause.
func TransportError(provider string, err error) *Error {
	code := "network"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		code = "timeout"
	}
	return &Error{Provider: provider, Code: code, Err: err,
		Hint: provider + " could not be reached; the send is retried. If it persists, check the provider's base_url and this server's network."}
}

// Invalid returns a permanent *Error for a message that a provider refuses
// to send before contacting anyone (no recipient, a malformed address).
func Invalid(provider, code, message string) *Error {
	return &Error{Provider: provider, Code: code, Message: message, Permanent: true}
}
