package members_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
	"membership/members/sepa"
)

func TestSeedDemoWritesAValidClub(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		if err := s.SeedDemo(ctx, 300, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatalf("SeedDemo: %v", err)
		}
		plans, err := s.ListPlans(ctx)
		if err != nil || len(plans) != 4 {
			t.Fatalf("plans = %v, %v; want Kinder, Jugend, Erwachsene, Förderer", plans, err)
		}
		byStatus := map[members.Status]int{}
		ranked, minors := 0, 0
		err = s.Iterate(ctx, members.ListQuery{Filter: members.Filter{Status: "all"}}, func(m *members.Member) error {
			byStatus[m.Status]++
			if m.Rank != "" {
				ranked++
			}
			if m.Age(members.DateOf(testNow)) < 18 {
				minors++
			}
			// Every seeded member passes the rules a form or the API is held to.
			in := members.MemberInput{FirstName: m.FirstName, LastName: m.LastName, Email: m.Email, Phone: m.Phone,
				BirthDate: m.BirthDate, JoinedOn: m.JoinedOn, Status: m.Status, Plan: m.Plan, Rank: m.Rank,
				MembershipEndsOn: m.MembershipEndsOn, GuardianName: m.GuardianName, GuardianPhone: m.GuardianPhone,
				GuardianEmail: m.GuardianEmail, SMSConsent: m.SMSConsent, SMSConsentAt: m.SMSConsentAt,
				EmailConsent: m.EmailConsent, EmailConsentAt: m.EmailConsentAt}
			if err := s.Validate(ctx, &in, m.ID); err != nil {
				t.Errorf("seeded member %d is invalid: %v", m.ID, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Iterate: %v", err)
		}
		for _, st := range members.Statuses() {
			if byStatus[st] == 0 {
				t.Errorf("no %s members in %v", st, byStatus)
			}
		}
		if ranked < 150 || minors < 100 {
			t.Errorf("%d ranked and %d minors of 300, want a dojo's share of both", ranked, minors)
		}
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if st.Active+st.Pending+st.Paused+st.Archived != 300 || st.OverdueFees == 0 {
			t.Errorf("stats = %+v, want 300 members and some overdue fees", st)
		}
		if _, total, err := s.List(ctx, members.ListQuery{Filter: members.Filter{FeeOverdue: ptr(true)}}); err != nil || total == 0 {
			t.Errorf("members with overdue fees = %d, %v; want some", total, err)
		}
	})
}

func TestSeedDemoIsDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var firsts [2][]members.Member
	for i := range firsts {
		s := newStore(t, dbtest.SQLite(t))
		if err := s.SeedDemo(ctx, 120, rand.New(rand.NewPCG(7, 7))); err != nil {
			t.Fatalf("SeedDemo: %v", err)
		}
		items, _, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Status: "all"}, Sort: "id", PerPage: 500})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		firsts[i] = items
	}
	if len(firsts[0]) != 120 || len(firsts[1]) != 120 {
		t.Fatalf("seeded %d and %d members, want 120", len(firsts[0]), len(firsts[1]))
	}
	for j := range firsts[0] {
		a, b := firsts[0][j], firsts[1][j]
		if a.FullName() != b.FullName() || a.Email != b.Email || a.Phone != b.Phone || a.Rank != b.Rank || a.BirthDate != b.BirthDate {
			t.Fatalf("member %d differs between runs: %+v vs %+v", j, a, b)
		}
	}
}

// TestSeedDemoMandates: the demo club collects by direct debit — creditor data set, three in
// four members on a plan with a mandate whose IBAN is valid.
func TestSeedDemoMandates(t *testing.T) {
	ctx := context.Background()
	gdb := dbtest.SQLite(t)
	s := newStore(t, gdb)
	if err := s.SeedDemo(ctx, 40, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	if set, err := s.CollectionSettings(ctx); err != nil || !set.Complete() {
		t.Fatalf("settings = %+v, %v", set, err)
	}
	var ms []members.Mandate
	if err := gdb.Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	if len(ms) < 10 {
		t.Fatalf("%d mandates among 40 members", len(ms))
	}
	for _, m := range ms {
		if _, err := sepa.ValidateIBAN(m.IBAN); err != nil {
			t.Errorf("mandate %s: IBAN %s: %v", m.Reference, m.IBAN, err)
		}
	}
}

// TestSeedDemoTraining: the demo club trains — three groups by age, a year of attendance on
// their weekly days, and an upcoming exam.
func TestSeedDemoTraining(t *testing.T) {
	ctx := context.Background()
	gdb := dbtest.SQLite(t)
	s := newStore(t, gdb)
	if err := s.SeedDemo(ctx, 60, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	groups, err := s.Groups(ctx)
	if err != nil || len(groups) != 3 {
		t.Fatalf("groups = %+v, %v", groups, err)
	}
	var rows, exams int64
	gdb.Model(&members.Attendance{}).Count(&rows)
	gdb.Table("exams").Where("exam_on > ?", members.DateOf(testNow)).Count(&exams)
	if rows < 500 || exams != 1 {
		t.Errorf("%d attendances, %d upcoming exams; want hundreds and one", rows, exams)
	}
	// Seeding again adds no second set.
	if err := s.SeedDemo(ctx, 10, rand.New(rand.NewPCG(2, 2))); err != nil {
		t.Fatal(err)
	}
	if groups, _ = s.Groups(ctx); len(groups) != 3 {
		t.Errorf("%d groups after a second seed", len(groups))
	}
}
