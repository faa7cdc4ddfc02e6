package members_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/config"
	"membership/db"
	"membership/db/dbtest"
	"membership/members"
)

func TestClaimNoticeIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Ada", "Lovelace", "ada@example.org"))
		in := members.Notice{Key: "welcome:member:" + itoa(m.ID) + ":sms", MemberID: &m.ID, Purpose: "welcome", Channel: "sms", Template: "welcome"}
		first, err := s.ClaimNotice(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if first.ID == 0 || first.Status != members.NoticeQueued {
			t.Fatalf("claimed %+v, want a queued row", first)
		}
		if err := s.MarkNoticeSending(ctx, first.ID, "outbox", "", "hello"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNoticeSent(ctx, first.ID, "42"); err != nil {
			t.Fatal(err)
		}
		in.Template = "other"
		again, err := s.ClaimNotice(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.Status != members.NoticeSent || again.Template != "welcome" || again.Attempts != 1 || again.ProviderMessageID != "42" {
			t.Fatalf("second claim = %+v, want the sent row %d unchanged", again, first.ID)
		}
		if err := s.MarkNoticeSending(ctx, first.ID, "outbox", "", "hello"); !errors.Is(err, members.ErrConflict) {
			t.Fatalf("mark sending a sent notice: err = %v, want ErrConflict", err)
		}
	})
}

func TestRecordDelivery(t *testing.T) {
	tests := []struct {
		name    string
		reports []members.NoticeStatus
		want    members.NoticeStatus
		changed []int64
	}{
		{"delivered", []members.NoticeStatus{members.NoticeDelivered}, members.NoticeDelivered, []int64{1}},
		{"repeated report changes nothing", []members.NoticeStatus{members.NoticeDelivered, members.NoticeDelivered}, members.NoticeDelivered, []int64{1, 0}},
		{"late delivered keeps the failure", []members.NoticeStatus{members.NoticeUndeliverable, members.NoticeDelivered}, members.NoticeUndeliverable, []int64{1, 0}},
		{"bounce after delivered", []members.NoticeStatus{members.NoticeDelivered, members.NoticeUndeliverable}, members.NoticeUndeliverable, []int64{1, 1}},
	}
	gdb := dbtest.SQLite(t)
	s := newStore(t, gdb)
	ctx := context.Background()
	m := mustCreate(t, s, adult("Ada", "Lovelace", "ada@example.org"))
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.ClaimNotice(ctx, members.Notice{Key: "t:" + tc.name, MemberID: &m.ID, Purpose: "admin", Channel: "sms"})
			if err != nil {
				t.Fatal(err)
			}
			sid := "SM" + itoa(int64(i))
			if err := s.MarkNoticeSending(ctx, n.ID, "twilio", "", "x"); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkNoticeSent(ctx, n.ID, sid); err != nil {
				t.Fatal(err)
			}
			var changed []int64
			for _, st := range tc.reports {
				c, err := s.RecordDelivery(ctx, members.NoticeDelivery{Provider: "twilio", ProviderMessageID: sid, Status: st, ErrorCode: "30003", ErrorMessage: "Unreachable"})
				if err != nil {
					t.Fatal(err)
				}
				changed = append(changed, c)
			}
			got, err := s.NoticeByKey(ctx, n.Key)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want || !slices.Equal(changed, tc.changed) {
				t.Errorf("status %s changed %v, want %s %v", got.Status, changed, tc.want, tc.changed)
			}
		})
	}
	t.Run("other provider's id", func(t *testing.T) {
		c, err := s.RecordDelivery(ctx, members.NoticeDelivery{Provider: "sendgrid", ProviderMessageID: "SM0", Status: members.NoticeDelivered})
		if err != nil || c != 0 {
			t.Errorf("changed %d, err %v; want 0, nil", c, err)
		}
	})
}

func TestCampaignNoticesAndTimeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Ada", "Lovelace", "ada@example.org"))
		campaign := int64(7)
		outcome := map[string]func(id int64) error{
			"sent":    func(id int64) error { return s.MarkNoticeSent(ctx, id, "p-"+itoa(id)) },
			"failed":  func(id int64) error { return s.MarkNoticeFailed(ctx, id, "21211", "Invalid 'To' Phone Number") },
			"skipped": func(id int64) error { return s.MarkNoticeSkipped(ctx, id, "no sms consent") },
		}
		for i, o := range []string{"sent", "sent", "failed", "skipped"} {
			n, err := s.ClaimNotice(ctx, members.Notice{Key: "campaign:7:member:" + itoa(m.ID) + ":" + itoa(int64(i)),
				MemberID: &m.ID, CampaignID: &campaign, Purpose: "campaign", Channel: "sms", Template: "campaign"})
			if err != nil {
				t.Fatal(err)
			}
			if err := outcome[o](n.ID); err != nil {
				t.Fatal(err)
			}
		}
		counts, err := s.CampaignNoticeCounts(ctx, campaign)
		if err != nil {
			t.Fatal(err)
		}
		want := members.NoticeCounts{members.NoticeSent: 2, members.NoticeFailed: 1, members.NoticeSkipped: 1}
		if len(counts) != len(want) || counts.Total() != 4 {
			t.Fatalf("counts %v, want %v", counts, want)
		}
		for k, v := range want {
			if counts[k] != v {
				t.Errorf("counts[%s] = %d, want %d", k, counts[k], v)
			}
		}
		tallies, err := s.NoticeTallies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantTallies := []members.NoticeTally{{"", members.NoticeFailed, 1}, {"", members.NoticeSent, 2}, {"", members.NoticeSkipped, 1}}
		if !slices.Equal(tallies, wantTallies) {
			t.Errorf("tallies %v, want %v", tallies, wantTallies)
		}
		failed, err := s.FailedCampaignNotices(ctx, campaign)
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != 1 || failed[0].ErrorCode != "21211" {
			t.Errorf("failed = %+v, want the one 21211", failed)
		}
		entries, err := s.Timeline(ctx, m.ID, 50, members.TimelineFunc(s.NoticeTimeline))
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, e := range entries {
			if e.Kind == "notice" {
				titles = append(titles, e.Title)
			}
		}
		slices.Sort(titles)
		wantTitles := []string{"SMS failed: campaign", "SMS sent: campaign", "SMS sent: campaign", "SMS skipped: campaign"}
		if !slices.Equal(titles, wantTitles) {
			t.Errorf("timeline notices %q, want %q", titles, wantTitles)
		}
	})
}

func TestWithdrawSMSConsent(t *testing.T) {
	gdb := dbtest.SQLite(t)
	s := newStore(t, gdb)
	ctx := context.Background()
	with := adult("Ada", "Lovelace", "ada@example.org")
	with.SMSConsent = true
	sibling := adult("Bob", "Lovelace", "bob@example.org")
	sibling.SMSConsent = true
	other := adult("Carl", "Other", "carl@example.org")
	other.Phone, other.SMSConsent = "0151 11111111", true
	a, b, c := mustCreate(t, s, with), mustCreate(t, s, sibling), mustCreate(t, s, other)

	ids, err := s.WithdrawSMSConsent(ctx, "sms:stop", a.Phone)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []int64{a.ID, b.ID}) {
		t.Fatalf("withdrew %v, want %v", ids, []int64{a.ID, b.ID})
	}
	for _, tc := range []struct {
		id   int64
		want bool
	}{{a.ID, false}, {b.ID, false}, {c.ID, true}} {
		m, err := s.Get(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if m.SMSConsent != tc.want {
			t.Errorf("member %d sms_consent = %v, want %v", tc.id, m.SMSConsent, tc.want)
		}
	}
	log, _, err := s.AuditLog(ctx, members.AuditQuery{MemberID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if log[0].Action != members.ActionSMSOptOut || log[0].Actor != "sms:stop" {
		t.Errorf("newest audit row %+v, want an %s by sms:stop", log[0], members.ActionSMSOptOut)
	}
	again, err := s.WithdrawSMSConsent(ctx, "sms:stop", a.Phone)
	if err != nil || len(again) != 0 {
		t.Errorf("second STOP withdrew %v (err %v), want none", again, err)
	}
}

// TestReserveSendSlotAcrossProcesses has two "processes" (separate connection pools on one
// PostgreSQL database) reserve slots at once: every slot lies at least one interval after the
// one before, whoever reserved it, and none is given twice.
func TestReserveSendSlotAcrossProcesses(t *testing.T) {
	dsn := dbtest.PostgresDatabase(t)
	procs := []*members.Store{newStore(t, openPostgres(t, dsn)), newStore(t, openPostgres(t, dsn))}
	const interval, perProc = 20 * time.Millisecond, 10
	var (
		mu    sync.Mutex
		slots []time.Time
		wg    sync.WaitGroup
	)
	for _, s := range procs {
		for range perProc {
			wg.Go(func() {
				slot, err := s.ReserveSendSlot(context.Background(), "sms", interval)
				if err != nil {
					t.Error(err)
					return
				}
				if slot.Wait() > time.Duration(2*perProc)*interval {
					t.Errorf("wait %v beyond the last slot", slot.Wait())
				}
				mu.Lock()
				slots = append(slots, slot.At)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if len(slots) != 2*perProc {
		t.Fatalf("got %d slots, want %d", len(slots), 2*perProc)
	}
	slices.SortFunc(slots, time.Time.Compare)
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < interval {
			t.Errorf("slots %d and %d are %v apart, want at least %v", i-1, i, gap, interval)
		}
	}
}

// openPostgres opens one more connection pool on the migrated database at dsn.
func openPostgres(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(context.Background(), config.Database{Driver: "postgres", DSN: dsn}, dbtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(gdb) })
	if err := db.Migrate(context.Background(), gdb, dbtest.Log()); err != nil {
		t.Fatal(err)
	}
	return gdb
}

func TestReserveSendSlotOnSQLite(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	if _, err := s.ReserveSendSlot(context.Background(), "sms", time.Second); !errors.Is(err, members.ErrSlotsUnsupported) {
		t.Errorf("err = %v, want ErrSlotsUnsupported", err)
	}
}
