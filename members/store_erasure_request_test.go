package members_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func erasureInstance(id int64) string { return "erasure-request:" + strconv.FormatInt(id, 10) }

func mustRequestErasure(t *testing.T, s *members.Store, m *members.Member) *members.ErasureRequest {
	t.Helper()
	r, created, err := s.RequestErasure(context.Background(), "member:"+strconv.FormatInt(m.ID, 10), m.ID, testNow.Add(members.ErasureDeadline), erasureInstance)
	if err != nil || !created {
		t.Fatalf("request erasure of %d: %v, created %v", m.ID, err, created)
	}
	return r
}

// TestRequestErasureOnceOpen: a second ask while a request is open answers the first; once it
// is decided, a new ask opens a new one; an erased member cannot ask.
func TestRequestErasureOnceOpen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Rin", "Asano", "rin@example.org"))
		first := mustRequestErasure(t, s, m)
		if first.Status != members.ErasurePending || first.InstanceID != erasureInstance(first.ID) || !first.Deadline.Equal(testNow.Add(members.ErasureDeadline)) {
			t.Errorf("first request = %+v", first)
		}
		again, created, err := s.RequestErasure(ctx, "member:1", m.ID, testNow.Add(time.Hour), erasureInstance)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("second ask = %+v, %v, created %v; want the first", again, err, created)
		}
		if _, _, err := s.RequestErasure(ctx, "member:1", m.ID, testNow.Add(-time.Hour), erasureInstance); err == nil {
			t.Error("a deadline in the past was accepted")
		}
		if _, err := s.DecideErasure(ctx, first.ID, actor, false, "open fee #3 must be kept"); err != nil {
			t.Fatal(err)
		}
		second := mustRequestErasure(t, s, m)
		if second.ID == first.ID {
			t.Error("a decided request was answered as open")
		}
		if _, _, err := s.RequestErasure(ctx, actor, 999999, testNow.Add(time.Hour), erasureInstance); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("unknown member: %v, want ErrNotFound", err)
		}
		gone := mustCreate(t, s, adult("Gone", "Member", "gone@example.org"))
		if _, err := s.Erase(ctx, actor, gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RequestErasure(ctx, actor, gone.ID, testNow.Add(time.Hour), erasureInstance); !errors.Is(err, members.ErrConflict) {
			t.Errorf("erased member: %v, want ErrConflict", err)
		}
	})
}

// TestDecideErasure walks a request through the decisions, table-driven: each step from the
// state the last one left.
func TestDecideErasure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Sora", "Ito", "sora@example.org"))
		r := mustRequestErasure(t, s, m)
		steps := []struct {
			name    string
			do      func() (*members.ErasureRequest, error)
			want    members.ErasureStatus
			wantErr error
		}{
			{"overdue", func() (*members.ErasureRequest, error) {
				r, changed, err := s.MarkErasureOverdue(ctx, r.ID)
				if err == nil && !changed {
					t.Error("overdue: not changed")
				}
				return r, err
			}, members.ErasureOverdue, nil},
			{"overdue again", func() (*members.ErasureRequest, error) {
				r, changed, err := s.MarkErasureOverdue(ctx, r.ID)
				if changed {
					t.Error("overdue again: changed")
				}
				return r, err
			}, members.ErasureOverdue, nil},
			{"reject without reason", func() (*members.ErasureRequest, error) { return s.DecideErasure(ctx, r.ID, actor, false, " ") }, "", &members.ValidationError{}},
			{"done before confirmed", func() (*members.ErasureRequest, error) { return s.MarkErasureDone(ctx, r.ID) }, "", members.ErrConflict},
			{"confirm", func() (*members.ErasureRequest, error) { return s.DecideErasure(ctx, r.ID, actor, true, "") }, members.ErasureConfirmed, nil},
			{"confirm again", func() (*members.ErasureRequest, error) { return s.DecideErasure(ctx, r.ID, "user:2", true, "") }, members.ErasureConfirmed, nil},
			{"reject after confirm", func() (*members.ErasureRequest, error) { return s.DecideErasure(ctx, r.ID, actor, false, "no") }, "", members.ErrConflict},
			{"overdue after confirm", func() (*members.ErasureRequest, error) {
				r, _, err := s.MarkErasureOverdue(ctx, r.ID)
				return r, err
			}, members.ErasureConfirmed, nil},
			{"done", func() (*members.ErasureRequest, error) { return s.MarkErasureDone(ctx, r.ID) }, members.ErasureConfirmed, nil},
			{"done again", func() (*members.ErasureRequest, error) { return s.MarkErasureDone(ctx, r.ID) }, members.ErasureConfirmed, nil},
		}
		for _, st := range steps {
			got, err := st.do()
			if st.wantErr != nil {
				var v *members.ValidationError
				if _, isV := st.wantErr.(*members.ValidationError); isV && !errors.As(err, &v) || !isV && !errors.Is(err, st.wantErr) {
					t.Errorf("%s: error %v, want %T %v", st.name, err, st.wantErr, st.wantErr)
				}
				continue
			}
			if err != nil || got.Status != st.want {
				t.Errorf("%s: %+v, %v; want %s", st.name, got, err, st.want)
			}
		}
		got, _ := s.GetErasureRequest(ctx, r.ID)
		if got.DecidedBy != actor || got.DecidedAt == nil || got.ErasedAt == nil {
			t.Errorf("decided request = %+v, want decided by %s and erased", got, actor)
		}
		var actions []string
		if err := gdb.Table("audit_log").Where("member_id = ? AND action LIKE ?", m.ID, "erasure_%").Order("id").Pluck("action", &actions).Error; err != nil {
			t.Fatal(err)
		}
		want := []string{members.ActionErasureRequested, members.ActionErasureOverdue, members.ActionErasureConfirmed}
		tl, err := s.Timeline(ctx, m.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, e := range tl {
			titles = append(titles, e.Title)
		}
		for _, title := range []string{"erasure requested", "erasure overdue", "erasure confirmed"} {
			if !slices.Contains(titles, title) {
				t.Errorf("the member's timeline %q lacks %q", titles, title)
			}
		}
		if len(actions) != len(want) {
			t.Fatalf("audit actions = %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Errorf("audit actions = %v, want %v", actions, want)
			}
		}
	})
}

// TestErasureRequestsOpenFirst: the admins' list puts the open requests first, nearest
// deadline first, then the decided ones.
func TestErasureRequestsOpenFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		var ids []int64
		for i, days := range []int{20, 5, 10} {
			m := mustCreate(t, s, adult("Kai"+strconv.Itoa(i), "Mori", "kai"+strconv.Itoa(i)+"@example.org"))
			r, _, err := s.RequestErasure(ctx, actor, m.ID, testNow.AddDate(0, 0, days), erasureInstance)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		if _, err := s.DecideErasure(ctx, ids[1], actor, false, "membership fees still open"); err != nil {
			t.Fatal(err)
		}
		rows, err := s.ErasureRequests(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{ids[2], ids[0], ids[1]}
		if len(rows) != 3 {
			t.Fatalf("rows = %+v", rows)
		}
		for i, r := range rows {
			if r.ID != want[i] {
				t.Errorf("row %d = request %d (%s), want %d", i, r.ID, r.Status, want[i])
			}
		}
		if rows[0].LastName != "Mori" {
			t.Errorf("row without the member's name: %+v", rows[0])
		}
		if row, err := s.ErasureRequestRow(ctx, ids[1]); err != nil || row.Reason != "membership fees still open" {
			t.Errorf("row = %+v, %v", row, err)
		}
		if _, err := s.ErasureRequestRow(ctx, 999); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("unknown request: %v", err)
		}
	})
}

// TestErasureRequestsInPersonalData: a member's requests are part of their data export; the
// erasure keeps the record of each request but clears the reasons written about the member.
func TestErasureRequestsInPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Nao", "Sato", "nao@example.org"))
		first := mustRequestErasure(t, s, m)
		if _, err := s.DecideErasure(ctx, first.ID, actor, false, "Nao still owes the fee of May"); err != nil {
			t.Fatal(err)
		}
		second := mustRequestErasure(t, s, m)
		pd, err := s.PersonalData(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pd.ErasureRequests) != 2 || pd.ErasureRequests[0].Reason == "" {
			t.Fatalf("exported requests = %+v", pd.ErasureRequests)
		}
		if _, err := s.DecideErasure(ctx, second.ID, actor, true, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Erase(ctx, actor, m.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetErasureRequest(ctx, first.ID)
		if err != nil || got.Reason != "" || got.Status != members.ErasureRejected || got.DecidedBy != actor {
			t.Errorf("rejected request after the erasure = %+v, %v; want it kept without its reason", got, err)
		}
	})
}
