package members_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func mustGroup(t *testing.T, s *members.Store, name string) *members.TrainingGroup {
	t.Helper()
	g, err := s.CreateGroup(context.Background(), name, "Mo 17:00, Do 17:00")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// train records n trainings of m on the n days before today.
func train(t *testing.T, s *members.Store, g *members.TrainingGroup, m *members.Member, n int) {
	t.Helper()
	today := members.DateOf(testNow)
	for i := range n {
		if _, _, err := s.RecordAttendance(context.Background(), actor, g.ID, m.ID, today.AddDays(-i), ""); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordAttendanceIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		g := mustGroup(t, s, "Erwachsene")
		m := payer(t, s, "Aiko", "", nil)
		if err := s.AddToGroup(ctx, g.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToGroup(ctx, g.ID, m.ID); err != nil {
			t.Fatalf("second AddToGroup: %v", err)
		}
		today := members.DateOf(testNow)
		tests := []struct {
			name        string
			day         members.Date
			key         string
			wantCreated bool
			wantCount   int
		}{
			{"first tap", today, "tap-1", true, 1},
			{"same key retried", today, "tap-1", false, 1},
			{"double tap, new key", today, "tap-2", false, 1},
			{"without key, same day", today, "", false, 1},
			{"next day", today.AddDays(-1), "tap-3", true, 2},
			{"same key, other day", today.AddDays(-2), "tap-3", false, 2},
		}
		var first int64
		for _, tc := range tests {
			a, created, err := s.RecordAttendance(ctx, actor, g.ID, m.ID, tc.day, tc.key)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if created != tc.wantCreated {
				t.Errorf("%s: created = %v, want %v", tc.name, created, tc.wantCreated)
			}
			if first == 0 {
				first = a.ID
			}
			if tc.name == "double tap, new key" && a.ID != first {
				t.Errorf("%s: got row %d, want the first %d", tc.name, a.ID, first)
			}
			n, err := s.AttendanceCount(ctx, m.ID, today.AddDays(-30))
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.wantCount {
				t.Errorf("%s: count = %d, want %d", tc.name, n, tc.wantCount)
			}
		}
		if _, _, err := s.RecordAttendance(ctx, actor, g.ID, m.ID, today.AddDays(1), ""); err == nil {
			t.Error("attendance tomorrow accepted")
		}
		ms, err := s.GroupMembers(ctx, g.ID)
		if err != nil || len(ms) != 1 || ms[0].ID != m.ID {
			t.Errorf("GroupMembers = %v, %v; want Aiko", ms, err)
		}
	})
}

func codes(rs []members.Reason) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return out
}

func TestEligibilityReasons(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		g := mustGroup(t, s, "Alle")
		grade := func(m *members.Member, rank string, on members.Date) {
			t.Helper()
			if _, err := s.AddGrading(ctx, actor, m.ID, rank, on, ""); err != nil {
				t.Fatal(err)
			}
		}
		ready := payer(t, s, "Ready", "", nil)
		train(t, s, g, ready, 24)
		lazy := payer(t, s, "Lazy", "", nil)
		train(t, s, g, lazy, 10)
		recent := payer(t, s, "Recent", "", nil)
		grade(recent, "1. Kyu", members.NewDate(2025, 5, 1))
		young := payer(t, s, "Young", "", func(in *members.MemberInput) {
			in.BirthDate = members.NewDate(2012, 1, 1)
			in.GuardianName, in.GuardianEmail = "Parent", "parent@example.org"
		})
		grade(young, "1. Kyu", members.NewDate(2024, 1, 1))
		master := payer(t, s, "Master", "", nil)
		grade(master, "10. Dan", members.NewDate(2020, 1, 1))
		if _, err := s.SetGradingRule(ctx, actor, members.GradingRule{Rank: "1. Dan", MinMonths: 12, MinTrainings: 0, MinAge: 16}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetGradingRule(ctx, actor, members.GradingRule{Rank: "Gelbgurt", MinMonths: -1}); err == nil {
			t.Error("a rule for an unknown rank with negative months was accepted")
		}
		rows, err := s.Eligibility(ctx, members.DateOf(testNow))
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]members.EligibilityRow{}
		for _, r := range rows {
			got[r.Member.ID] = r
		}
		tests := []struct {
			name     string
			m        *members.Member
			next     string
			eligible bool
			reasons  []string
		}{
			{"enough trainings", ready, "6. Kyu", true, []string{}},
			{"too few trainings", lazy, "6. Kyu", false, []string{members.ReasonTooFewTrainings}},
			{"graded a month ago", recent, "1. Dan", false, []string{members.ReasonTooSoon}},
			{"too young for a dan", young, "1. Dan", false, []string{members.ReasonTooYoung}},
			{"highest rank", master, "", false, []string{members.ReasonNoNextRank}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := got[tc.m.ID]
				if r.NextRank != tc.next || r.Eligible != tc.eligible || !slices.Equal(codes(r.Reasons), tc.reasons) {
					t.Errorf("got next %q eligible %v reasons %v, want %q %v %v", r.NextRank, r.Eligible, codes(r.Reasons), tc.next, tc.eligible, tc.reasons)
				}
			})
		}
	})
}

func TestExamAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		now := testNow
		s := newStoreAt(t, gdb, &now)
		plan := mustPlan(t, s, "Erwachsene", 3000, members.Monthly)
		g := mustGroup(t, s, "Alle")
		var ms []*members.Member
		for i := range 3 {
			m := payer(t, s, fmt.Sprintf("Kandidat%d", i), plan.Name, nil)
			train(t, s, g, m, 24)
			ms = append(ms, m)
		}
		if _, err := s.CreateExam(ctx, actor, members.ExamInput{Name: "Sommer", ExamOn: members.DateOf(testNow).AddDays(-1), Deadline: now.Add(time.Hour)}); err == nil {
			t.Error("an exam in the past was accepted")
		}
		e, err := s.CreateExam(ctx, actor, members.ExamInput{Name: "Sommerprüfung", ExamOn: members.DateOf(testNow), FeeAmount: 2500, Currency: "eur", Deadline: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // idempotent
			c, err := s.InviteEligible(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Invited != 3 || c.Pending != 3 {
				t.Fatalf("counts after invite = %+v, want 3 invited and pending", c)
			}
		}
		invs, err := s.ExamInvitations(ctx, e.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		tok := map[int64]string{}
		for _, inv := range invs {
			tok[inv.MemberID] = inv.AnswerToken
			if inv.TargetRank != "6. Kyu" || len(inv.AnswerToken) < 20 {
				t.Errorf("invitation %+v: want 6. Kyu and a long token", inv)
			}
		}
		tests := []struct {
			name    string
			token   string
			accept  bool
			wantErr error
		}{
			{"accept", tok[ms[0].ID], true, nil},
			{"accept again", tok[ms[0].ID], true, nil},
			{"decline after accepting", tok[ms[0].ID], false, members.ErrConflict},
			{"decline", tok[ms[1].ID], false, nil},
			{"unknown token", "nope", true, members.ErrNotFound},
		}
		for _, tc := range tests {
			_, err := s.AnswerInvitation(ctx, tc.token, tc.accept)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.wantErr)
			}
		}
		now = now.Add(2 * time.Hour)
		if _, err := s.AnswerInvitation(ctx, tok[ms[2].ID], true); !errors.Is(err, members.ErrConflict) {
			t.Errorf("answer after the deadline: err = %v, want ErrConflict", err)
		}
		if n, err := s.MarkNoAnswer(ctx, e.ID); err != nil || n != 1 {
			t.Errorf("MarkNoAnswer = %d, %v; want 1", n, err)
		}
		for range 2 {
			if _, err := s.CreateExamFees(ctx, e.ID); err != nil {
				t.Fatal(err)
			}
		}
		fees, err := s.Fees(ctx, ms[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		exam := 0
		for _, f := range fees {
			if f.Amount == 2500 && f.Currency == "EUR" && f.DueOn == e.ExamOn {
				exam++
			}
		}
		if exam != 1 {
			t.Errorf("exam fees of the acceptor = %d, want 1 (fees %+v)", exam, fees)
		}
		if _, err := s.RecordResult(ctx, actor, e.ID, ms[1].ID, true); err == nil {
			t.Error("a result for a decliner was accepted")
		}
		if _, err := s.RecordResult(ctx, actor, e.ID, ms[0].ID, true); err != nil {
			t.Fatal(err)
		}
		m, err := s.Get(ctx, ms[0].ID)
		if err != nil || m.Rank != "6. Kyu" {
			t.Errorf("rank after passing = %q, %v; want 6. Kyu", m.Rank, err)
		}
		tl, err := s.Timeline(ctx, ms[0].ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, en := range tl {
			kinds = append(kinds, en.Kind+":"+en.Title)
		}
		if !slices.ContainsFunc(kinds, func(k string) bool { return strings.Contains(k, "6. Kyu") }) ||
			!slices.ContainsFunc(kinds, func(k string) bool { return strings.Contains(k, "exam result") }) {
			t.Errorf("timeline %v: want the new rank and the exam result", kinds)
		}
		if c, _ := s.InvitationCounts(ctx, e.ID); c != (members.InvitationCounts{Invited: 3, Accepted: 1, Declined: 1, NoAnswer: 1}) {
			t.Errorf("final counts = %+v", c)
		}
	})
}
