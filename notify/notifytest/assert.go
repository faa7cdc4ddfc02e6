package notifytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"membership/notify"
)

// Context returns the test's context, with a deadline after timeout when
// timeout > 0.
func Context(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	if timeout <= 0 {
		return t.Context()
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// WantError fails the test unless err is a *notify.Error with want's
// Provider, Code, Status and Permanent, and returns it for further checks
// (RetryAfter, say).
func WantError(t testing.TB, err error, want notify.Error) *notify.Error {
	t.Helper()
	var got *notify.Error
	if !errors.As(err, &got) {
		t.Fatalf("error = %v, want a *notify.Error", err)
	}
	if got.Provider != want.Provider || got.Code != want.Code || got.Status != want.Status || got.Permanent != want.Permanent {
		t.Errorf("error = %+v\nwant provider %q, code %q, status %d, permanent %v",
			got, want.Provider, want.Code, want.Status, want.Permanent)
	}
	return got
}
