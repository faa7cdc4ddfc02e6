package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"membership/db/dbtest"
	"membership/notify"
	"membership/notify/outbox"
)

type storeCase struct {
	name string
	new  func(t testing.TB) outbox.Store
}

// stores returns the Store implementations under test; new makes a fresh
// one.
func stores() []storeCase {
	return []storeCase{
		{"memory", func(testing.TB) outbox.Store { return outbox.NewMemoryStore() }},
		{"gorm sqlite", func(t testing.TB) outbox.Store { return outbox.NewGormStore(sqliteDB(t)) }},
		{"gorm postgres", func(t testing.TB) outbox.Store { return outbox.NewGormStore(postgresDB(t)) }},
	}
}

// sqliteDB opens a SQLite file in t.TempDir() with the app database's
// pragmas and creates outbox_messages with the SQL handed to the migrations.
func sqliteDB(t testing.TB) *gorm.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "app.db") +
		"?_busy_timeout=5000&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"
	return openWithSchema(t, sqlite.Open(dsn), "testdata/sqlite.sql")
}

// postgresDB creates a database of the test's own on the test server (the
// test is skipped without one, outside CI) and creates outbox_messages.
func postgresDB(t testing.TB) *gorm.DB {
	t.Helper()
	return openWithSchema(t, postgres.Open(dbtest.PostgresDatabase(t)), "testdata/postgres.sql")
}

func openWithSchema(t testing.TB, d gorm.Dialector, schemaFile string) *gorm.DB {
	t.Helper()
	gdb, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatalf("database handle: %v", err)
	}
	t.Cleanup(func() {
		if err := sqlDB.Close(); err != nil {
			t.Errorf("close database: %v", err)
		}
	})
	schema, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	if err := gdb.Exec(string(schema)).Error; err != nil {
		t.Fatalf("create outbox_messages: %v", err)
	}
	return gdb
}

func TestOutboxKeepsMessages(t *testing.T) {
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			ob := outbox.New(st.new(t))
			ctx := t.Context()
			smsID, err := ob.SendSMS(ctx, notify.SMS{To: "+4915123456789", Body: "Your code is 123456", StatusCallback: "https://x.example/cb"})
			if err != nil {
				t.Fatalf("SendSMS: %v", err)
			}
			mailID, err := ob.SendEmail(ctx, notify.Email{To: "ada@example.org", ToName: "Ada", From: "dojo@example.org",
				Subject: "Welcome", Text: "Hello Ada", HTML: "<p>Hello Ada</p>"})
			if err != nil {
				t.Fatalf("SendEmail: %v", err)
			}
			msgs, total, err := ob.List(ctx, 10, 0)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if total != 2 || len(msgs) != 2 {
				t.Fatalf("List = %d messages, total %d; want 2, 2", len(msgs), total)
			}
			wantEmail := outbox.Message{Channel: "email", To: "ada@example.org", Subject: "Welcome", Body: "Hello Ada", HTML: "<p>Hello Ada</p>"}
			wantSMS := outbox.Message{Channel: "sms", To: "+4915123456789", Body: "Your code is 123456"}
			for i, c := range []struct {
				id   string
				want outbox.Message
			}{{mailID, wantEmail}, {smsID, wantSMS}} {
				got := msgs[i]
				if strconv.FormatInt(got.ID, 10) != c.id {
					t.Errorf("message %d: id %d, provider id %q", i, got.ID, c.id)
				}
				if got.CreatedAt.IsZero() || got.CreatedAt.Location().String() != "UTC" {
					t.Errorf("message %d: created at %v, want a UTC time", i, got.CreatedAt)
				}
				got.ID, got.CreatedAt = 0, c.want.CreatedAt
				if got != c.want {
					t.Errorf("message %d = %+v, want %+v", i, got, c.want)
				}
			}
		})
	}
}

func TestOutboxRefusesNoRecipient(t *testing.T) {
	ob := outbox.New(outbox.NewMemoryStore())
	if _, err := ob.SendSMS(t.Context(), notify.SMS{Body: "hi"}); !notify.IsPermanent(err) {
		t.Errorf("SendSMS without To = %v, want a permanent error", err)
	}
	if _, err := ob.SendEmail(t.Context(), notify.Email{Subject: "hi", Text: "hi"}); !notify.IsPermanent(err) {
		t.Errorf("SendEmail without To = %v, want a permanent error", err)
	}
}

// TestOutboxKeepsBatches: a batch is kept in one go, its ids in order, a message without a
// recipient is refused on its own while the rest are kept, and a message sent again under its
// idempotency key is the one kept before.
func TestOutboxKeepsBatches(t *testing.T) {
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			ob := outbox.New(st.new(t))
			ctx := t.Context()
			batch := []notify.Email{
				{To: "a@example.org", Subject: "1", Text: "one", IdempotencyKey: "k1"},
				{Subject: "2", Text: "nobody", IdempotencyKey: "k2"},
				{To: "c@example.org", Subject: "3", Text: "three"},
			}
			sent := ob.SendEmailBatch(ctx, batch)
			if len(sent) != 3 || sent[0].Err != nil || sent[2].Err != nil || !notify.IsPermanent(sent[1].Err) {
				t.Fatalf("SendEmailBatch = %+v, want two kept and the one without recipient refused for good", sent)
			}
			sms := ob.SendSMSBatch(ctx, []notify.SMS{{To: "+4915123456789", Body: "four", IdempotencyKey: "k4"}})
			if len(sms) != 1 || sms[0].Err != nil {
				t.Fatalf("SendSMSBatch = %+v", sms)
			}
			// Again, as after a crash: the keyed messages are the ones kept, one by one or in a
			// batch mixing old and new.
			if id, err := ob.SendSMS(ctx, notify.SMS{To: "+4915123456789", Body: "four", IdempotencyKey: "k4"}); err != nil || id != sms[0].ProviderID {
				t.Errorf("SMS sent again = %q, %v; want the kept %q", id, err, sms[0].ProviderID)
			}
			again := ob.SendEmailBatch(ctx, []notify.Email{batch[0], {To: "e@example.org", Subject: "5", Text: "five", IdempotencyKey: "k5"}})
			if again[0].Err != nil || again[0].ProviderID != sent[0].ProviderID || again[1].Err != nil || again[1].ProviderID == sent[0].ProviderID {
				t.Errorf("batch sent again = %+v, want the kept %q and a new one", again, sent[0].ProviderID)
			}
			msgs, total, err := ob.List(ctx, 0, 0)
			if err != nil || total != 4 {
				t.Fatalf("List = %d messages, total %d, %v; want 4", len(msgs), total, err)
			}
			kept := map[string]string{}
			for _, m := range msgs {
				kept[strconv.FormatInt(m.ID, 10)] = m.Body
			}
			for _, want := range []struct{ id, body string }{{again[1].ProviderID, "five"}, {sms[0].ProviderID, "four"}, {sent[2].ProviderID, "three"}, {sent[0].ProviderID, "one"}} {
				if kept[want.id] != want.body {
					t.Errorf("message %s = %q, want %q", want.id, kept[want.id], want.body)
				}
			}
		})
	}
}

func TestStoreList(t *testing.T) {
	// Seven messages, ids 1..7; the list runs newest first.
	tests := []struct {
		name          string
		limit, offset int
		wantIDs       []int64
	}{
		{"first page", 3, 0, []int64{7, 6, 5}},
		{"second page", 3, 3, []int64{4, 3, 2}},
		{"last page is short", 3, 6, []int64{1}},
		{"past the end", 3, 9, nil},
		{"no limit", 0, 0, []int64{7, 6, 5, 4, 3, 2, 1}},
		{"no limit, offset", -1, 5, []int64{2, 1}},
		{"negative offset", 2, -4, []int64{7, 6}},
	}
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			s := st.new(t)
			for i := range 7 {
				if _, err := s.Add(t.Context(), outbox.Message{Channel: "sms", To: fmt.Sprint(i), Body: "b"}); err != nil {
					t.Fatalf("Add: %v", err)
				}
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					msgs, total, err := s.List(t.Context(), tc.limit, tc.offset)
					if err != nil {
						t.Fatalf("List: %v", err)
					}
					var ids []int64
					for _, m := range msgs {
						ids = append(ids, m.ID)
					}
					if total != 7 || fmt.Sprint(ids) != fmt.Sprint(tc.wantIDs) {
						t.Errorf("List(%d, %d) = ids %v total %d, want %v total 7", tc.limit, tc.offset, ids, total, tc.wantIDs)
					}
				})
			}
		})
	}
}

func TestStoreHonoursContext(t *testing.T) {
	for _, st := range stores()[1:] { // the memory store does no I/O
		t.Run(st.name, func(t *testing.T) {
			s := st.new(t)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if _, err := s.Add(ctx, outbox.Message{Channel: "sms", To: "+49", Body: "b"}); err == nil {
				t.Errorf("Add with a cancelled context succeeded")
			}
			if _, _, err := s.List(ctx, 10, 0); err == nil {
				t.Errorf("List with a cancelled context succeeded")
			}
		})
	}
}

func BenchmarkOutboxSend(b *testing.B) {
	for _, st := range stores() {
		b.Run(st.name, func(b *testing.B) {
			ob := outbox.New(st.new(b))
			sms := notify.SMS{To: "+4915123456789", Body: "Your membership ends on 31 March. Renew at https://club.example/r/abc"}
			for b.Loop() {
				if _, err := ob.SendSMS(b.Context(), sms); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
		})
	}
}

func BenchmarkOutboxSendParallel(b *testing.B) {
	for _, st := range stores() {
		b.Run(st.name, func(b *testing.B) {
			ob := outbox.New(st.new(b))
			sms := notify.SMS{To: "+4915123456789", Body: "Your membership ends on 31 March. Renew at https://club.example/r/abc"}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := ob.SendSMS(context.Background(), sms); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
		})
	}
}
