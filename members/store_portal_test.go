package members_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// signIn runs a sign-in of the fixture's member to address through the store, as MemberSignIn
// does, and claims it: the cookie value and the session.
func (f *verifyFixture) signIn(t *testing.T, kind members.VerificationKind, address string) (string, *members.PortalSession) {
	t.Helper()
	ctx := context.Background()
	run, err := f.v.BeginFor(ctx, "portal:sign-in", f.member.ID, kind, members.PurposeSignIn, address)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := f.v.Issue(ctx, run.InstanceID, 1)
	if err != nil || iss.To != address {
		t.Fatalf("issue: %+v %v, want the code to go to %s", iss, err, address)
	}
	if err := f.v.MarkSent(ctx, run.InstanceID, 1); err != nil {
		t.Fatal(err)
	}
	if res, err := f.v.Check(ctx, run.InstanceID, "c1", f.v.HashCode(run.InstanceID, 1, iss.Code)); err != nil || res.Result != members.CodeVerified {
		t.Fatalf("check: %+v %v", res, err)
	}
	if changed, err := f.v.MarkVerified(ctx, "workflow:x", run.InstanceID); err != nil || changed {
		t.Fatalf("mark: %v %v", changed, err)
	}
	cookie, sess, err := f.v.ClaimSignIn(ctx, run.InstanceID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return cookie, sess
}

func TestPortalSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		cookie, _ := f.signIn(t, members.VerifyEmail, f.member.Email)

		// Idle for less than the idle bound, touched now and then: alive until the maximum.
		for range 5 {
			*f.now = f.now.Add(members.PortalSessionIdle - time.Minute)
			if _, err := f.store.PortalSession(ctx, cookie); err != nil {
				t.Fatalf("after %s: %v", f.now.Sub(testNow), err)
			}
		}
		*f.now = testNow.Add(members.PortalSessionMax + time.Second)
		if _, err := f.store.PortalSession(ctx, cookie); !errors.Is(err, members.ErrSessionEnded) {
			t.Fatalf("past the maximum: %v", err)
		}

		// Idle past the bound.
		*f.now = testNow.Add(24 * time.Hour)
		cookie, _ = f.signIn(t, members.VerifyEmail, f.member.Email)
		*f.now = f.now.Add(members.PortalSessionIdle + time.Second)
		if _, err := f.store.PortalSession(ctx, cookie); !errors.Is(err, members.ErrSessionEnded) {
			t.Fatalf("idle past the bound: %v", err)
		}

		// Revoked by an admin, and by the erasure (an hour apart: the codes per address are limited).
		*f.now = f.now.Add(time.Hour)
		cookie, _ = f.signIn(t, members.VerifyEmail, f.member.Email)
		if n, err := f.store.RevokePortalSessions(ctx, "user:1", f.member.ID); err != nil || n != 1 {
			t.Fatalf("revoke: %d %v", n, err)
		}
		if _, err := f.store.PortalSession(ctx, cookie); !errors.Is(err, members.ErrSessionEnded) {
			t.Fatalf("after the revoke: %v", err)
		}
		*f.now = f.now.Add(time.Hour)
		cookie, _ = f.signIn(t, members.VerifyEmail, f.member.Email)
		if _, err := f.store.Erase(ctx, "user:1", f.member.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.PortalSession(ctx, cookie); !errors.Is(err, members.ErrSessionEnded) {
			t.Fatalf("after the erasure: %v", err)
		}
		if _, err := f.store.PortalSession(ctx, "made-up"); !errors.Is(err, members.ErrSessionEnded) {
			t.Fatalf("a made-up cookie: %v", err)
		}
	})
}

// A change confirms the new value first: the old one stays on the record until then.
func TestPortalContactChangeOnTheRecord(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		run, err := f.v.BeginFor(ctx, members.PortalSelfActor, f.member.ID, members.VerifyEmail, members.PurposeChange, "new@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.BeginFor(ctx, "user:1", f.member.ID, members.VerifyEmail, members.PurposeVerify, ""); !errors.Is(err, members.ErrVerificationRunning) {
			t.Fatalf("a verification beside the change: %v, want refused", err)
		}
		iss, err := f.v.Issue(ctx, run.InstanceID, 1)
		if err != nil || iss.To != "new@example.org" {
			t.Fatalf("issue %+v %v", iss, err)
		}
		_ = f.v.MarkSent(ctx, run.InstanceID, 1)
		if got, _ := f.store.Get(ctx, f.member.ID); got.Email != f.member.Email {
			t.Fatalf("the address changed before its code")
		}
		if _, err := f.v.Check(ctx, run.InstanceID, "c", f.v.HashCode(run.InstanceID, 1, iss.Code)); err != nil {
			t.Fatal(err)
		}
		if changed, err := f.v.MarkVerified(ctx, "workflow:x", run.InstanceID); err != nil || changed {
			t.Fatalf("mark: %v %v", changed, err)
		}
		got, _ := f.store.Get(ctx, f.member.ID)
		if got.Email != "new@example.org" || got.EmailVerifiedAt == nil {
			t.Fatalf("after the code: %s %v", got.Email, got.EmailVerifiedAt)
		}
		row, _ := f.v.Get(ctx, run.InstanceID)
		if row.NewAddress != "" || row.Status != members.VerificationVerified {
			t.Errorf("the run keeps %q, status %s", row.NewAddress, row.Status)
		}
		entries, _ := f.store.Timeline(ctx, f.member.ID, 5)
		found := false
		for _, e := range entries {
			found = found || (e.Actor == members.PortalSelfActor && e.Title == "Changed email")
		}
		if !found {
			t.Errorf("no change by the member in the timeline: %+v", entries)
		}
	})
}
