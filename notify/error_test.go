package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"membership/notify"
)

func TestIsPermanentAndRetryAfter(t *testing.T) {
	perm := &notify.Error{Provider: "twilio", Code: "21211", Status: 400, Permanent: true}
	slow := &notify.Error{Provider: "twilio", Status: 429, RetryAfter: 7 * time.Second}
	tests := []struct {
		name      string
		err       error
		permanent bool
		after     time.Duration
	}{
		{"nil", nil, false, 0},
		{"plain error is transient", errors.New("boom"), false, 0},
		{"permanent", perm, true, 0},
		{"wrapped permanent", fmt.Errorf("send sms: %w", perm), true, 0},
		{"rate limited", slow, false, 7 * time.Second},
		{"wrapped rate limited", fmt.Errorf("send: %w", slow), false, 7 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.IsPermanent(tc.err); got != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.permanent)
			}
			if got := notify.RetryAfterOf(tc.err); got != tc.after {
				t.Errorf("RetryAfterOf = %v, want %v", got, tc.after)
			}
		})
	}
}

func TestPermanentStatus(t *testing.T) {
	tests := []struct {
		status int
		want   bool
	}{
		{400, true}, {401, true}, {403, true}, {404, true}, {413, true}, {422, true},
		{408, false}, {425, false}, {429, false}, {500, false}, {502, false}, {503, false},
		{200, false}, {202, false},
	}
	for _, tc := range tests {
		if got := notify.PermanentStatus(tc.status); got != tc.want {
			t.Errorf("PermanentStatus(%d) = %v, want %v", tc.status, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"empty", "", 0},
		{"seconds", "30", 30 * time.Second},
		{"spaces", " 2 ", 2 * time.Second},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"http date", "Sat, 01 Mar 2025 12:01:30 GMT", 90 * time.Second},
		{"past date", "Sat, 01 Mar 2025 11:00:00 GMT", 0},
		{"garbage", "soon", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.ParseRetryAfter(tc.in, now); got != tc.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransportError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), "timeout"},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, "timeout"},
		{"refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "network"},
		{"cancelled", context.Canceled, "network"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := notify.TransportError("twilio", tc.err)
			if e.Code != tc.code || e.Permanent || e.Provider != "twilio" {
				t.Errorf("got %+v, want transient code %q", e, tc.code)
			}
			if !errors.Is(e, tc.err) {
				t.Errorf("errors.Is(%v, %v) = false", e, tc.err)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	e := &notify.Error{Provider: "twilio", Code: "21211", Status: 400, Message: "Invalid 'To' Phone Number", Permanent: true}
	want := "twilio: permanent status 400 code 21211: Invalid 'To' Phone Number"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	inv := notify.Invalid("smtp", "address", "no recipient")
	if !notify.IsPermanent(inv) || inv.Error() != "smtp: permanent code address: no recipient" {
		t.Errorf("Invalid = %q, permanent %v", inv.Error(), inv.Permanent)
	}
}
