package members_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// TestClaimNoticesMixesNewAndStored claims, in one call, keys never seen and keys stored by an
// earlier attempt (queued, sending, done), some to send and some not, and checks each notice
// returned against the rule and against what is then stored.
func TestClaimNoticesMixesNewAndStored(t *testing.T) {
	type want struct {
		status   members.NoticeStatus
		attempts int
		template string // tells which row was stored: the earlier attempt's ("old") or this one's
		existed  bool   // keeps the id it had
		touched  bool   // updated_at is the claim's time
	}
	cases := []struct {
		name   string
		before members.NoticeStatus // "" for a new key; NoticeSending: claimed and marked sending once
		row    members.NoticeStatus // the status the claim gives the row
		send   bool
		want   want
	}{
		{"new to send", "", members.NoticeQueued, true, want{members.NoticeSending, 1, "new", false, true}},
		{"new not to send", "", members.NoticeQueued, false, want{members.NoticeQueued, 0, "new", false, true}},
		{"new skipped", "", members.NoticeSkipped, false, want{members.NoticeSkipped, 0, "new", false, true}},
		{"new failed under a send key", "", members.NoticeFailed, true, want{members.NoticeFailed, 0, "new", false, true}},
		{"new without a status, to send", "", "", true, want{members.NoticeSending, 1, "new", false, true}},
		{"stored queued, to send", members.NoticeQueued, members.NoticeQueued, true, want{members.NoticeSending, 1, "old", true, true}},
		{"stored queued, not to send", members.NoticeQueued, members.NoticeQueued, false, want{members.NoticeQueued, 0, "old", true, false}},
		{"stored sending, to send", members.NoticeSending, members.NoticeQueued, true, want{members.NoticeSending, 2, "old", true, true}},
		{"stored sent, to send", members.NoticeSent, members.NoticeQueued, true, want{members.NoticeSent, 1, "old", true, false}},
		{"stored skipped, given queued", members.NoticeSkipped, members.NoticeQueued, true, want{members.NoticeSkipped, 0, "old", true, false}},
	}
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		now := testNow
		s := newStoreAt(t, gdb, &now)
		m := mustCreate(t, s, adult("Ada", "Lovelace", "ada@example.org"))
		notice := func(key string, st members.NoticeStatus, template string) members.Notice {
			return members.Notice{Key: key, MemberID: &m.ID, Purpose: "campaign", Channel: "email", Template: template,
				Subject: "Hi " + template, Body: "Body " + template, Provider: "outbox", Status: st}
		}
		earlier := map[string]int64{}
		for _, tc := range cases {
			if tc.before == "" {
				continue
			}
			n, err := s.ClaimNotice(ctx, notice(tc.name, members.NoticeQueued, "old"))
			if err != nil {
				t.Fatal(err)
			}
			earlier[tc.name] = n.ID
			switch tc.before {
			case members.NoticeSending:
				err = s.MarkNoticeSending(ctx, n.ID, "outbox", "Hi old", "Body old")
			case members.NoticeSent:
				if err = s.MarkNoticeSending(ctx, n.ID, "outbox", "Hi old", "Body old"); err == nil {
					err = s.MarkNoticeSent(ctx, n.ID, "p-1")
				}
			case members.NoticeSkipped:
				err = s.MarkNoticeSkipped(ctx, n.ID, "no consent")
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// A stored key to send that is not among the rows is marked, not returned.
		other, err := s.ClaimNotice(ctx, notice("other", members.NoticeQueued, "old"))
		if err != nil {
			t.Fatal(err)
		}

		now = now.Add(time.Hour)
		var rows []members.Notice
		var sendKeys []string
		for _, tc := range cases {
			rows = append(rows, notice(tc.name, tc.row, "new"))
			if tc.send {
				sendKeys = append(sendKeys, tc.name)
			}
		}
		// A key given twice is stored from its first row.
		rows = append(rows, notice(cases[0].name, members.NoticeQueued, "twice"))
		got, err := s.ClaimNotices(ctx, rows, append(sendKeys, "other"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(cases) {
			t.Errorf("claimed %d notices, want %d", len(got), len(cases))
		}
		ids := map[int64]string{}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				n := got[tc.name]
				if n == nil {
					t.Fatal("not returned")
				}
				stored, err := s.NoticeByKey(ctx, tc.name)
				if err != nil {
					t.Fatal(err)
				}
				if !sameNotice(n, stored) {
					t.Errorf("returned %+v,\n    stored %+v", *n, *stored)
				}
				if n.Status != tc.want.status || n.Attempts != tc.want.attempts || n.Template != tc.want.template {
					t.Errorf("status %s, attempts %d, template %s; want %s, %d, %s", n.Status, n.Attempts, n.Template,
						tc.want.status, tc.want.attempts, tc.want.template)
				}
				if id, ok := earlier[tc.name]; ok != tc.want.existed || (ok && n.ID != id) {
					t.Errorf("id %d, earlier %d (stored before: %v)", n.ID, id, ok)
				}
				if n.ID == 0 || ids[n.ID] != "" {
					t.Errorf("id %d, also %q's", n.ID, ids[n.ID])
				}
				ids[n.ID] = tc.name
				if touched := n.UpdatedAt.Equal(now); touched != tc.want.touched {
					t.Errorf("updated at %s, claimed at %s: want touched %v", n.UpdatedAt, now, tc.want.touched)
				}
			})
		}
		o, err := s.NoticeByKey(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}
		if o.ID != other.ID || o.Status != members.NoticeSending || o.Attempts != 1 {
			t.Errorf("stored key to send outside the rows = %s, %d attempts; want sending, 1", o.Status, o.Attempts)
		}
	})
}

// TestClaimNoticesInChunks claims more notices than one INSERT writes, some stored already
// on both sides of a chunk's end.
func TestClaimNoticesInChunks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Ada", "Lovelace", "ada@example.org"))
		const n = 450
		rows := make([]members.Notice, n)
		keys := make([]string, n)
		for i := range rows {
			keys[i] = fmt.Sprintf("chunk:%d", i)
			rows[i] = members.Notice{Key: keys[i], MemberID: &m.ID, Purpose: "campaign", Channel: "sms", Body: "x"}
		}
		stored := map[string]bool{}
		for _, i := range []int{0, 199, 200, 449} {
			if _, err := s.ClaimNotice(ctx, rows[i]); err != nil {
				t.Fatal(err)
			}
			stored[keys[i]] = true
		}
		got, err := s.ClaimNotices(ctx, rows, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("claimed %d notices, want %d", len(got), n)
		}
		for _, k := range keys {
			db, err := s.NoticeByKey(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if !sameNotice(got[k], db) || db.Status != members.NoticeSending || db.Attempts != 1 {
				t.Fatalf("%s (stored before: %v) = %+v, stored %+v; want sending once", k, stored[k], got[k], db)
			}
		}
	})
}

// sameNotice reports whether two notices are equal, their times compared as instants (a
// notice read from PostgreSQL comes in the local zone).
func sameNotice(a, b *members.Notice) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	for _, n := range []*members.Notice{&x, &y} {
		n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
		for _, p := range []**time.Time{&n.SentAt, &n.DeliveredAt} {
			if *p != nil {
				v := (*p).UTC()
				*p = &v
			}
		}
	}
	return reflect.DeepEqual(x, y)
}

// TestMembersByIDReadsWholeMembers checks MembersByID against Get field by field — plan name,
// consent and verification times, erasure included — and that it leaves out unknown ids.
func TestMembersByIDReadsWholeMembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		mustPlan(t, s, "Erwachsene", 3000, members.Monthly)
		consented := testNow.Add(-time.Hour)
		var ids []int64
		for _, tc := range []struct {
			name   string
			change func(*members.MemberInput)
			erase  bool
		}{
			{"plain", nil, false},
			{"on a plan, consents at a time", func(in *members.MemberInput) {
				in.Plan, in.SMSConsent, in.SMSConsentAt, in.EmailConsent = "Erwachsene", true, &consented, true
				in.Street, in.City, in.Notes, in.Rank = "Hauptstr. 1", "Berlin", "note", "5. Kyu"
				in.MembershipEndsOn = members.NewDate(2025, time.December, 31)
			}, false},
			{"erased", func(in *members.MemberInput) { in.Plan = "Erwachsene" }, true},
		} {
			in := adult(tc.name, "ByID", strings.Fields(tc.name)[0]+"@example.org")
			if tc.change != nil {
				tc.change(&in)
			}
			m := mustCreate(t, s, in)
			if tc.erase {
				if _, err := s.Erase(ctx, actor, m.ID); err != nil {
					t.Fatal(err)
				}
			}
			ids = append(ids, m.ID)
		}
		got, err := s.MembersByID(ctx, append(ids, 99999))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ids) {
			t.Errorf("read %d members, want %d", len(got), len(ids))
		}
		if m := got[ids[1]]; m == nil || m.Plan != "Erwachsene" || m.SMSConsentAt == nil {
			t.Errorf("member on a plan = %+v, want its plan's name and consent time", m)
		}
		for _, id := range ids {
			want, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !sameMember(got[id], want) {
				t.Errorf("member %d:\n got %+v\nwant %+v", id, got[id], want)
			}
		}
	})
}

// sameMember reports whether two members are equal, their times compared as instants.
func sameMember(a, b *members.Member) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	for _, m := range []*members.Member{&x, &y} {
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		for _, p := range []**time.Time{&m.SMSConsentAt, &m.EmailConsentAt, &m.PhoneVerifiedAt, &m.EmailVerifiedAt, &m.ErasedAt} {
			if *p != nil {
				v := (*p).UTC()
				*p = &v
			}
		}
	}
	return reflect.DeepEqual(x, y)
}
