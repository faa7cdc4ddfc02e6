package members_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// testNow is the fixed clock of store tests: mid-June, so fee periods and ages are easy to
// reason about.
var testNow = time.Date(2025, time.June, 15, 10, 0, 0, 0, time.UTC)

const actor = "user:1"

func newStore(t *testing.T, gdb *gorm.DB) *members.Store {
	t.Helper()
	now := testNow
	return newStoreAt(t, gdb, &now)
}

// newStoreAt is a store of a Berlin club whose clock reads *now.
func newStoreAt(t *testing.T, gdb *gorm.DB, now *time.Time) *members.Store {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return members.NewStore(gdb, members.Options{
		Region: "DE", AllowedRegions: []string{"DE", "AT", "CH"}, Location: berlin,
		Now: func() time.Time { return *now },
	}, dbtest.Log())
}

// adult is a valid input; tests change what they need.
func adult(first, last, email string) members.MemberInput {
	return members.MemberInput{
		FirstName: first, LastName: last, Email: email, Phone: "0151 23456789",
		BirthDate: members.NewDate(1990, time.March, 4), Status: members.StatusActive,
	}
}

func mustCreate(t *testing.T, s *members.Store, in members.MemberInput) *members.Member {
	t.Helper()
	m, err := s.Create(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("create %s %s: %v", in.FirstName, in.LastName, err)
	}
	return m
}

// payer creates a member without a phone on plan (a name, or "" for none) who joined on
// 1 January 2025; change adjusts the input first.
func payer(t *testing.T, s *members.Store, first, plan string, change func(*members.MemberInput)) *members.Member {
	t.Helper()
	in := adult(first, "Fee", first+"@example.org")
	in.Phone, in.Plan, in.JoinedOn = "", plan, members.NewDate(2025, 1, 1)
	if change != nil {
		change(&in)
	}
	return mustCreate(t, s, in)
}

func mustPlan(t *testing.T, s *members.Store, name string, amount int64, period members.Period) *members.Plan {
	t.Helper()
	p, err := s.CreatePlan(context.Background(), actor, members.PlanInput{Name: name, FeeAmount: amount, Currency: "EUR", Period: period})
	if err != nil {
		t.Fatalf("create plan %s: %v", name, err)
	}
	return p
}

// fieldErrors returns the field → message map of a *ValidationError, failing on other errors.
func fieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	var v *members.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error = %v, want a *members.ValidationError", err)
	}
	out := map[string]string{}
	for _, f := range v.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
