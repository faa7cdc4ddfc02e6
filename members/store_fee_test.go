package members_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func TestPeriodBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		period     members.Period
		day        members.Date
		start, end string
	}{
		{members.Monthly, members.NewDate(2024, 2, 10), "2024-02-01", "2024-02-29"},
		{members.Monthly, members.NewDate(2025, 12, 31), "2025-12-01", "2025-12-31"},
		{members.Quarterly, members.NewDate(2025, 1, 1), "2025-01-01", "2025-03-31"},
		{members.Quarterly, members.NewDate(2025, 5, 20), "2025-04-01", "2025-06-30"},
		{members.Quarterly, members.NewDate(2025, 12, 31), "2025-10-01", "2025-12-31"},
		{members.Yearly, members.NewDate(2025, 6, 15), "2025-01-01", "2025-12-31"},
	}
	for _, tc := range tests {
		start, end := tc.period.Bounds(tc.day)
		if start.String() != tc.start || end.String() != tc.end {
			t.Errorf("%s of %s = %s – %s, want %s – %s", tc.period, tc.day, start, end, tc.start, tc.end)
		}
	}
}

func TestFeesForPeriodAreIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		mustPlan(t, s, "Erwachsene", 3900, members.Monthly)
		mustPlan(t, s, "Förderer", 6000, members.Yearly)
		mustPlan(t, s, "Ehrenmitglied", 0, members.Monthly)
		on := func(first, plan string, change func(*members.MemberInput)) *members.Member {
			return payer(t, s, first, plan, change)
		}
		monthly := on("monthly", "Erwachsene", nil)
		yearly := on("yearly", "Förderer", nil)
		on("paused", "Erwachsene", func(in *members.MemberInput) { in.Status = members.StatusPaused })
		on("noplan", "", nil)
		on("honorary", "Ehrenmitglied", nil)
		on("ended", "Erwachsene", func(in *members.MemberInput) { in.MembershipEndsOn = members.NewDate(2025, 5, 31) })
		july := on("july", "Erwachsene", func(in *members.MemberInput) { in.JoinedOn = members.NewDate(2025, 7, 1) })

		n, err := s.CreateFeesForPeriod(ctx, testNow)
		if err != nil || n != 2 {
			t.Fatalf("CreateFeesForPeriod(June) = %d, %v; want 2 (monthly, yearly)", n, err)
		}
		if n, err := s.CreateFeesForPeriod(ctx, testNow.Add(24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("again = %d, %v; want 0", n, err)
		}
		// Four schedulers at once on the next month: each fee exactly once.
		var wg sync.WaitGroup
		created := make([]int, 4)
		errs := make([]error, 4)
		for i := range created {
			wg.Go(func() { created[i], errs[i] = s.CreateFeesForPeriod(ctx, time.Date(2025, 7, 2, 8, 0, 0, 0, time.UTC)) })
		}
		wg.Wait()
		if sum := created[0] + created[1] + created[2] + created[3]; sum != 2 || errors.Join(errs...) != nil {
			t.Fatalf("parallel July runs created %v (%v), want 2 in all (monthly, july)", created, errors.Join(errs...))
		}
		fees, err := s.Fees(ctx, monthly.ID)
		if err != nil || len(fees) != 2 || fees[0].PeriodStart.String() != "2025-07-01" || fees[1].PeriodEnd.String() != "2025-06-30" {
			t.Fatalf("monthly member's fees = %+v, %v", fees, err)
		}
		if f := fees[1]; f.Amount != 3900 || f.Currency != "EUR" || f.Status != members.FeeOpen || f.DueOn.String() != "2025-06-01" {
			t.Errorf("June fee = %+v", f)
		}
		if fees, _ := s.Fees(ctx, july.ID); len(fees) != 1 {
			t.Errorf("member joining in July has %d fees, want 1", len(fees))
		}

		due, err := s.DueFees(ctx, testNow)
		if err != nil || len(due) != 2 || due[0].MemberID != yearly.ID || due[1].MemberID != monthly.ID {
			t.Fatalf("DueFees = %+v, %v; want the yearly then the June fee", due, err)
		}
	})
}

func TestMarkFeePaidAndOverdue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		mustPlan(t, s, "Erwachsene", 3900, members.Monthly)
		payer(t, s, "Anna", "Erwachsene", nil)
		payer(t, s, "Ben", "Erwachsene", nil)
		if _, err := s.CreateFeesForPeriod(ctx, testNow); err != nil {
			t.Fatal(err)
		}
		due, _ := s.DueFees(ctx, testNow)
		paid, open := due[0], due[1]
		day := members.NewDate(2025, 6, 10)

		got, err := s.MarkFeePaid(ctx, actor, paid.ID, day, "bank_transfer")
		if err != nil || got.Status != members.FeePaid || got.PaidOn != day || got.Method != "bank_transfer" {
			t.Fatalf("MarkFeePaid = %+v, %v", got, err)
		}
		if again, err := s.MarkFeePaid(ctx, "workflow:fee-reminder:1", paid.ID, day, "bank_transfer"); err != nil || !again.UpdatedAt.Equal(got.UpdatedAt) {
			t.Errorf("paying again with the same data = %+v, %v; want the fee unchanged", again, err)
		}
		if _, err := s.MarkFeePaid(ctx, actor, paid.ID, day.AddDays(1), "cash"); !errors.Is(err, members.ErrConflict) {
			t.Errorf("paying again differently: %v, want ErrConflict", err)
		}
		_, err = s.MarkFeePaid(ctx, actor, open.ID, members.NewDate(2025, 6, 16), "bitcoin")
		if got := fieldErrors(t, err); got["paid_on"] != "must not be in the future" || got["method"] == "" {
			t.Errorf("invalid payment errors = %v", got)
		}
		if _, err := s.MarkFeeOverdue(ctx, actor, paid.ID); !errors.Is(err, members.ErrConflict) {
			t.Errorf("marking a paid fee overdue: %v, want ErrConflict", err)
		}
		overdue, err := s.MarkFeeOverdue(ctx, "workflow:fee-reminder:2", open.ID)
		if err != nil || overdue.Status != members.FeeOverdue || overdue.OverdueAt == nil {
			t.Fatalf("MarkFeeOverdue = %+v, %v", overdue, err)
		}
		if _, err := s.MarkFeeOverdue(ctx, actor, open.ID); err != nil {
			t.Errorf("marking overdue twice: %v", err)
		}
		if _, err := s.GetFee(ctx, 99999); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("GetFee(unknown) = %v, want ErrNotFound", err)
		}
		// An overdue fee can still be paid.
		if f, err := s.MarkFeePaid(ctx, actor, open.ID, day, "cash"); err != nil || f.Status != members.FeePaid {
			t.Errorf("paying an overdue fee = %+v, %v", f, err)
		}
		st, _ := s.Stats(ctx)
		if st.OverdueFees != 0 || st.Active != 2 {
			t.Errorf("stats = %+v, want 2 active, no overdue fee", st)
		}
		log, total, err := s.AuditLog(ctx, members.AuditQuery{MemberID: open.MemberID})
		if err != nil || total != 3 || log[0].Action != members.ActionFeePaid || log[1].Action != members.ActionFeeOverdue || log[1].Actor != "workflow:fee-reminder:2" {
			t.Errorf("audit log = %+v, %v; want create, fee_overdue, fee_paid", log, err)
		}
	})
}
