package members_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func TestTimelineMergesNewestFirst(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		s := newStoreAt(t, gdb, &now)
		day := func(d int) { now = time.Date(2025, 6, d, 9, 0, 0, 0, time.UTC) }
		mustPlan(t, s, "Erwachsene", 3900, members.Monthly)
		in := adult("Anna", "Schmidt", "anna@example.org")
		in.Plan = "Erwachsene"
		m := mustCreate(t, s, in)
		day(2)
		if _, err := s.AddGrading(ctx, "user:2", m.ID, "5. Kyu", members.NewDate(2025, 5, 20), "Prüfer: Sensei Ito"); err != nil {
			t.Fatal(err)
		}
		day(3)
		if _, err := s.CreateFeesForPeriod(ctx, now); err != nil {
			t.Fatal(err)
		}
		fees, _ := s.Fees(ctx, m.ID)
		day(4)
		if _, err := s.MarkFeePaid(ctx, actor, fees[0].ID, members.NewDate(2025, 6, 4), "cash"); err != nil {
			t.Fatal(err)
		}
		day(5)
		if _, err := s.Update(ctx, actor, m.ID, members.MemberPatch{City: ptr("Köln"), Notes: ptr("Trainerin")}, nil); err != nil {
			t.Fatal(err)
		}
		notices := members.TimelineFunc(func(_ context.Context, id int64, limit int) ([]members.TimelineEntry, error) {
			return []members.TimelineEntry{{At: time.Date(2025, 6, 4, 12, 0, 0, 0, time.UTC), Kind: "notice", Title: "Reminder sent"}}, nil
		})

		got, err := s.Timeline(ctx, m.ID, 0, notices)
		if err != nil {
			t.Fatalf("Timeline: %v", err)
		}
		var titles []string
		for _, e := range got {
			titles = append(titles, e.Kind+": "+e.Title)
		}
		want := []string{"member: Changed city, notes", "notice: Reminder sent", "fee: Fee paid", "fee: Fee opened",
			"member: Member created", "grading: Graded 5. Kyu"}
		if strings.Join(titles, " | ") != strings.Join(want, " | ") {
			t.Fatalf("timeline =\n%s\nwant\n%s", strings.Join(titles, "\n"), strings.Join(want, "\n"))
		}
		if got[0].Detail != "city: – → Köln; notes: – → Trainerin" || got[0].Actor != actor {
			t.Errorf("change entry = %+v", got[0])
		}
		if g := got[5]; g.Actor != "user:2" || g.Detail != "Prüfer: Sensei Ito" || !g.At.Equal(time.Date(2025, 5, 19, 22, 0, 0, 0, time.UTC)) {
			t.Errorf("grading entry = %+v, want at midnight in Berlin", g)
		}
		if f := got[2]; f.Ref != "fee:"+itoa(fees[0].ID) || !strings.Contains(f.Detail, "paid on 2025-06-04 by cash") {
			t.Errorf("fee paid entry = %+v", f)
		}
		if top, _ := s.Timeline(ctx, m.ID, 2); len(top) != 2 || top[1].Title != "Fee paid" {
			t.Errorf("limited timeline = %+v, want the two newest", top)
		}
		if _, err := s.Timeline(ctx, m.ID+1, 10); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("timeline of unknown member: %v, want ErrNotFound", err)
		}
	})
}

func TestGradingsSetTheLatestRank(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Kenji", "Tanaka", "kenji@example.org"))
		add := func(rank string, on members.Date) error {
			_, err := s.AddGrading(ctx, actor, m.ID, rank, on, "")
			return err
		}
		if err := add("4. Kyu", members.NewDate(2025, 1, 10)); err != nil {
			t.Fatal(err)
		}
		// An older grading entered later is history; the rank stays.
		if err := add("5. Kyu", members.NewDate(2024, 6, 1)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, m.ID)
		if got.Rank != "4. Kyu" || got.Version != 2 {
			t.Errorf("rank %q version %d, want 4. Kyu at version 2", got.Rank, got.Version)
		}
		if msg := fieldErrors(t, add("4. Kyu", members.NewDate(2025, 2, 1)))["rank"]; msg != "already graded 4. Kyu on 2025-01-10" {
			t.Errorf("second 4. Kyu: %q", msg)
		}
		if got := fieldErrors(t, add("Gelbgurt", members.NewDate(2026, 1, 1))); got["rank"] == "" || got["graded_on"] == "" {
			t.Errorf("bad grading errors = %v", got)
		}
		if _, err := s.AddGrading(ctx, actor, m.ID+1, "1. Dan", members.NewDate(2025, 1, 1), ""); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("grading an unknown member: %v", err)
		}
		gs, err := s.Gradings(ctx, m.ID)
		if err != nil || len(gs) != 2 || gs[0].Rank != "4. Kyu" || gs[1].Rank != "5. Kyu" {
			t.Errorf("Gradings = %+v, %v", gs, err)
		}
	})
}

func TestMembersOverTime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2025, 4, 20, 12, 0, 0, 0, time.UTC)
		s := newStoreAt(t, gdb, &now)
		join := func(first string, on members.Date, status members.Status) *members.Member {
			return payer(t, s, first, "", func(in *members.MemberInput) { in.JoinedOn, in.Status = on, status })
		}
		join("a", members.NewDate(2025, 1, 10), members.StatusActive)
		b := join("b", members.NewDate(2025, 3, 5), members.StatusActive)
		join("c", members.NewDate(2025, 2, 1), members.StatusPending)
		if _, err := s.Archive(ctx, actor, b.ID); err != nil { // on 20 April
			t.Fatal(err)
		}
		now = testNow
		got, err := s.MembersOverTime(ctx, 6)
		if err != nil {
			t.Fatalf("MembersOverTime: %v", err)
		}
		var b2 strings.Builder
		for _, mc := range got {
			b2.WriteString(mc.Month + "=" + itoa(mc.Active) + " ")
		}
		if want := "2025-01=1 2025-02=1 2025-03=2 2025-04=1 2025-05=1 2025-06=1 "; b2.String() != want {
			t.Errorf("members over time = %s, want %s", b2.String(), want)
		}
		if got[5].End.String() != "2025-06-15" {
			t.Errorf("current month ends %s, want today", got[5].End)
		}
		if _, err := s.MembersOverTime(ctx, 0); err == nil {
			t.Error("MembersOverTime(0) succeeded")
		}
	})
}
