package members_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// listClub creates a small club for list tests and returns member ids by last name.
func listClub(t *testing.T, s *members.Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	erw := mustPlan(t, s, "Erwachsene", 3900, members.Monthly)
	mustPlan(t, s, "Kinder", 2000, members.Monthly)
	ids := map[string]int64{}
	add := func(in members.MemberInput) *members.Member {
		m := mustCreate(t, s, in)
		ids[in.LastName] = m.ID
		return m
	}
	mueller := adult("Jürgen", "Müller", "juergen@example.org")
	mueller.Plan, mueller.Rank = "Erwachsene", "1. Dan"
	m := add(mueller)
	if _, err := s.MarkPhoneVerified(ctx, actor, m.ID, m.Phone, testNow); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkEmailVerified(ctx, actor, m.ID, m.Email, testNow); err != nil {
		t.Fatal(err)
	}
	schmidt := adult("Anna", "Schmidt", "anna.schmidt@example.org")
	schmidt.Phone, schmidt.Plan = "0170 7654321", "Kinder"
	add(schmidt)
	oezdemir := adult("Özlem", "Özdemir", "oezlem@example.com")
	oezdemir.Phone, oezdemir.Status = "+43 664 1234567", members.StatusPaused
	add(oezdemir)
	zimmermann := adult("Zoë", "Zimmermann", "")
	zimmermann.Phone, zimmermann.Status = "", members.StatusPending
	add(zimmermann)
	archived := adult("Max", "Mustermann-Lüdenscheidt", "max@example.net")
	archived.Phone = "030 1234567"
	if _, err := s.Archive(ctx, actor, add(archived).ID); err != nil {
		t.Fatal(err)
	}
	becker := adult("Anna", "Becker", "anna.becker@example.org")
	becker.Phone, becker.MembershipEndsOn = "", members.NewDate(2025, 7, 15)
	add(becker)
	ott := adult("Bernd", "Ott", "")
	ott.Phone, ott.MembershipEndsOn = "", members.NewDate(2025, 9, 13)
	add(ott)
	_ = erw
	return ids
}

func TestListFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		ids := listClub(t, s)
		erw, err := s.GetPlanByName(ctx, "erwachsene")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			q    members.ListQuery
			want string // last names in order
		}{
			{"default: live members by last name, umlauts folded", members.ListQuery{}, "Becker Müller Ott Özdemir Schmidt Zimmermann"},
			{"all statuses", members.ListQuery{Filter: members.Filter{Status: "all"}, Sort: "first_name"}, "Becker Schmidt Ott Müller Mustermann-Lüdenscheidt Zimmermann Özdemir"},
			{"archived", members.ListQuery{Filter: members.Filter{Status: "archived"}}, "Mustermann-Lüdenscheidt"},
			{"several statuses", members.ListQuery{Filter: members.Filter{Status: "paused, pending"}}, "Özdemir Zimmermann"},
			{"search transliterated", members.ListQuery{Filter: members.Filter{Q: "mueller"}}, "Müller"},
			{"search without accents", members.ListQuery{Filter: members.Filter{Q: "MULL"}}, "Müller"},
			{"search with umlaut", members.ListQuery{Filter: members.Filter{Q: "öz"}}, "Özdemir"},
			{"search first name", members.ListQuery{Filter: members.Filter{Q: "anna"}}, "Becker Schmidt"},
			{"search two words", members.ListQuery{Filter: members.Filter{Q: "anna schm"}}, "Schmidt"},
			{"search phone as dialled at home", members.ListQuery{Filter: members.Filter{Q: "0151 234"}}, "Müller"},
			{"search phone international", members.ListQuery{Filter: members.Filter{Q: "+49 151-23"}}, "Müller"},
			{"search austrian phone", members.ListQuery{Filter: members.Filter{Q: "0664 123"}}, "Özdemir"},
			{"search e-mail domain", members.ListQuery{Filter: members.Filter{Q: "example.com"}}, "Özdemir"},
			{"search e-mail prefix", members.ListQuery{Filter: members.Filter{Q: "anna.b"}}, "Becker"},
			{"search respects status", members.ListQuery{Filter: members.Filter{Q: "lüdenscheidt"}}, ""},
			{"search archived", members.ListQuery{Filter: members.Filter{Q: "lüdenscheidt", Status: "archived"}}, "Mustermann-Lüdenscheidt"},
			{"search misses", members.ListQuery{Filter: members.Filter{Q: "nobody"}}, ""},
			{"plan by name", members.ListQuery{Filter: members.Filter{Plan: "Kinder"}}, "Schmidt"},
			{"plan by id", members.ListQuery{Filter: members.Filter{Plan: itoa(erw.ID)}}, "Müller"},
			{"rank", members.ListQuery{Filter: members.Filter{Rank: "1. Dan"}}, "Müller"},
			{"verified", members.ListQuery{Filter: members.Filter{Verified: ptr(true)}}, "Müller"},
			{"not verified", members.ListQuery{Filter: members.Filter{Verified: ptr(false), Status: "active"}}, "Becker Ott Schmidt"},
			{"ends within 30 days", members.ListQuery{Filter: members.Filter{EndsWithinDays: ptr(30)}}, "Becker"},
			{"ends within 90 days", members.ListQuery{Filter: members.Filter{EndsWithinDays: ptr(90)}, Sort: "-membership_ends_on"}, "Ott Becker"},
			{"empty dates last", members.ListQuery{Filter: members.Filter{Status: "active"}, Sort: "membership_ends_on"}, "Becker Ott Müller Schmidt"},
			{"descending", members.ListQuery{Sort: "-last_name"}, "Zimmermann Schmidt Özdemir Ott Müller Becker"},
			{"selection", members.ListQuery{IDs: []int64{ids["Ott"], ids["Müller"], 99999}}, "Müller Ott"},
			{"empty selection", members.ListQuery{IDs: []int64{}}, ""},
			{"second page", members.ListQuery{PerPage: 2, Page: 2}, "Ott Özdemir"},
			{"page past the end", members.ListQuery{PerPage: 2, Page: 9}, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				items, total, err := s.List(ctx, tc.q)
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				var got []string
				for _, m := range items {
					got = append(got, m.LastName)
				}
				if strings.Join(got, " ") != tc.want {
					t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
				}
				if tc.q.PerPage == 0 && total != int64(len(items)) {
					t.Errorf("total = %d, want %d", total, len(items))
				}
			})
		}
		if items, total, _ := s.List(ctx, members.ListQuery{PerPage: 2, Page: 2}); total != 6 || len(items) != 2 {
			t.Errorf("page 2 of 2: %d items of %d, want 2 of 6", len(items), total)
		}
		if items, _, _ := s.List(ctx, members.ListQuery{Filter: members.Filter{Plan: "Erwachsene"}}); len(items) != 1 || items[0].Plan != "Erwachsene" {
			t.Errorf("listed member's plan = %+v, want Erwachsene", items)
		}
	})
}

func TestListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	s := newStore(t, dbtest.SQLite(t))
	tests := []struct {
		q     members.ListQuery
		field string
	}{
		{members.ListQuery{Sort: "password"}, "sort"},
		{members.ListQuery{Filter: members.Filter{Status: "active,gone"}}, "status"},
		{members.ListQuery{Filter: members.Filter{Plan: "Senioren"}}, "plan"},
		{members.ListQuery{Filter: members.Filter{EndsWithinDays: ptr(-1)}}, "ends_within_days"},
		{members.ListQuery{Filter: members.Filter{Q: "a b c d e f"}}, "q"},
		{members.ListQuery{IDs: make([]int64, 10001)}, "ids"},
	}
	for _, tc := range tests {
		_, _, err := s.List(context.Background(), tc.q)
		if got := fieldErrors(t, err); got[tc.field] == "" || len(got) != 1 {
			t.Errorf("List(%+v) errors = %v, want one on %s", tc.q, got, tc.field)
		}
	}
}

func TestIterateStreamsInIDOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	members.SetIterateChunk(s, 7)
	if err := s.SeedDemo(ctx, 100, rand.New(rand.NewPCG(3, 4))); err != nil {
		t.Fatal(err)
	}
	_, want, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Status: "active"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	err = s.Iterate(ctx, members.ListQuery{Filter: members.Filter{Status: "active"}, Sort: "-last_name", Page: 3}, func(m *members.Member) error {
		if m.Status != members.StatusActive {
			t.Fatalf("member %d is %s", m.ID, m.Status)
		}
		got = append(got, m.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	if int64(len(got)) != want || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("iterated %d members (sorted %v), want %d distinct in id order", len(got), slices.IsSorted(got), want)
	}
	stop := errors.New("stop")
	n := 0
	err = s.Iterate(ctx, members.ListQuery{}, func(*members.Member) error {
		if n++; n == 15 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 15 {
		t.Errorf("Iterate stopped after %d with %v, want 15 and the callback's error", n, err)
	}
}
