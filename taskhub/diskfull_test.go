package taskhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

type codedErr int

func (e codedErr) Error() string { return fmt.Sprintf("sqlite error %d", int(e)) }
func (e codedErr) Code() int     { return int(e) }

func TestRetryWhileFull(t *testing.T) {
	full := fmt.Errorf("failed to commit transaction: %w", codedErr(13)) // SQLITE_FULL
	other := errors.New("no such table")
	for _, tc := range []struct {
		name    string
		answers []error // what save answers, call by call; then nil
		limit   time.Duration
		calls   int
		wantErr error
	}{
		{"saved at once", nil, time.Second, 1, nil},
		{"other errors are not retried", []error{other}, time.Second, 1, other},
		{"saved once the disk has room", []error{full, full, full}, 10 * time.Second, 4, nil},
		{"gives up after the limit", []error{full, full, full, full, full, full}, diskFullRetry, 2, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := retryWhileFull(context.Background(), slog.New(slog.DiscardHandler), "test", tc.limit, func(context.Context) error {
				calls++
				if calls <= len(tc.answers) {
					return tc.answers[calls-1]
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if calls != tc.calls {
				t.Errorf("%d calls, want %d", calls, tc.calls)
			}
		})
	}
	if !isDiskFull(errors.New("database or disk is full (13)")) || isDiskFull(codedErr(5)) || isDiskFull(nil) {
		t.Error("isDiskFull misjudges SQLite's errors")
	}
}
