package notify_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"membership/notify"
)

type countingSender struct{ sms, email atomic.Int64 }

func (c *countingSender) SendSMS(context.Context, notify.SMS) (string, error) {
	c.sms.Add(1)
	return "SM1", nil
}

func (c *countingSender) SendEmail(context.Context, notify.Email) (string, error) {
	c.email.Add(1)
	return "m1", nil
}

func TestRateLimitNoneReturnsSender(t *testing.T) {
	s := &countingSender{}
	if got := notify.RateLimitSMS(s, 0); got != notify.SMSSender(s) {
		t.Errorf("RateLimitSMS(s, 0) wrapped the sender")
	}
	if got := notify.RateLimitEmail(s, -1); got != notify.EmailSender(s) {
		t.Errorf("RateLimitEmail(s, -1) wrapped the sender")
	}
}

// TestRateLimitWaitIsContextAware uses a rate so low that the second send
// would wait for hours: it must give up with the context instead, without
// reaching the provider.
func TestRateLimitWaitIsContextAware(t *testing.T) {
	tests := []struct {
		name  string
		wrap  func(s *countingSender) func(context.Context) error
		count func(s *countingSender) int64
	}{
		{
			name: "sms",
			wrap: func(s *countingSender) func(context.Context) error {
				l := notify.RateLimitSMS(s, 0.0001)
				return func(ctx context.Context) error { _, err := l.SendSMS(ctx, notify.SMS{}); return err }
			},
			count: func(s *countingSender) int64 { return s.sms.Load() },
		},
		{
			name: "email",
			wrap: func(s *countingSender) func(context.Context) error {
				l := notify.RateLimitEmail(s, 0.0001)
				return func(ctx context.Context) error { _, err := l.SendEmail(ctx, notify.Email{}); return err }
			},
			count: func(s *countingSender) int64 { return s.email.Load() },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &countingSender{}
			send := tc.wrap(s)
			if err := send(t.Context()); err != nil {
				t.Fatalf("first send: %v", err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := send(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("second send error = %v, want context.Canceled", err)
			}
			if got := tc.count(s); got != 1 {
				t.Errorf("provider saw %d sends, want 1", got)
			}
		})
	}
}

func TestRateLimitPassesResult(t *testing.T) {
	s := &countingSender{}
	l := notify.RateLimitSMS(s, 1e9)
	for range 50 {
		id, err := l.SendSMS(t.Context(), notify.SMS{To: "+4915123456789"})
		if err != nil || id != "SM1" {
			t.Fatalf("SendSMS = %q, %v", id, err)
		}
	}
	if got := s.sms.Load(); got != 50 {
		t.Errorf("provider saw %d sends, want 50", got)
	}
}
