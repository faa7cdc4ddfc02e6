package activities_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"membership/activities"
	"membership/config"
	"membership/db"
	"membership/db/dbtest"
	"membership/members"
	"membership/notify"
	"membership/notify/outbox"
)

// TestSharedRateLimitAcrossProcesses runs two "processes" — each its own connection pool on
// one PostgreSQL database and its own limiter — sending at once through one provider. Shared,
// the 20 messages at 40/s need at least 19 slot intervals (475 ms); two per-process limiters
// would let them out in about half that. The check is a lower bound on the elapsed time, so
// a slow machine cannot fail it.
func TestSharedRateLimitAcrossProcesses(t *testing.T) {
	dsn := dbtest.PostgresDatabase(t)
	box := outbox.New(outbox.NewMemoryStore())
	const rate, perProc = 40.0, 10
	var senders []notify.SMSSender
	for range 2 {
		gdb, err := db.Open(t.Context(), config.Database{Driver: "postgres", DSN: dsn}, dbtest.Log())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close(gdb) })
		if err := db.Migrate(t.Context(), gdb, dbtest.Log()); err != nil {
			t.Fatal(err)
		}
		store := members.NewStore(gdb, members.Options{}, dbtest.Log())
		senders = append(senders, activities.SharedRateLimitSMS(box, store, "sms", rate))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, s := range senders {
		for range perProc {
			wg.Go(func() {
				if _, err := s.SendSMS(t.Context(), notify.SMS{To: "+4915123456789", Body: "hi"}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	if _, n, _ := box.List(t.Context(), 0, 0); n != 2*perProc {
		t.Fatalf("outbox has %d messages, want %d", n, 2*perProc)
	}
	// One millisecond of slack for the database's microsecond timestamps.
	if least := time.Duration(2*perProc-1)*time.Duration(float64(time.Second)/rate) - time.Millisecond; elapsed < least {
		t.Errorf("%d messages at %v/s went out in %v, want at least %v", 2*perProc, rate, elapsed, least)
	}
}

func TestSharedRateLimitEndsWithContext(t *testing.T) {
	store := members.NewStore(dbtest.Postgres(t), members.Options{}, dbtest.Log())
	box := outbox.New(outbox.NewMemoryStore())
	s := activities.SharedRateLimitEmail(box, store, "email", 0.01) // one every 100 s
	ctx := t.Context()
	if _, err := s.SendEmail(ctx, notify.Email{To: "a@example.org", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.SendEmail(ctx, notify.Email{To: "a@example.org", Text: "second"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	if _, n, _ := box.List(t.Context(), 0, 0); n != 1 {
		t.Errorf("outbox has %d messages, want only the first", n)
	}
}
