package members_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

var verifyOpts = members.VerificationOptions{
	CodeLength: 6, PhoneTimeout: 10 * time.Minute, EmailTimeout: 24 * time.Hour, MaxAttempts: 3,
	ResendCooldown: time.Minute, SendsPerNumberPerHour: 2, SendsPerIPPerHour: 2,
}

// verifyFixture is a store whose clock the test moves, with one member.
type verifyFixture struct {
	now    *time.Time
	store  *members.Store
	v      *members.Verifications
	member *members.Member
}

func newVerifyFixture(t *testing.T, gdb *gorm.DB) *verifyFixture {
	t.Helper()
	now := testNow
	s := newStoreAt(t, gdb, &now)
	v, err := members.NewVerifications(context.Background(), s, verifyOpts)
	if err != nil {
		t.Fatalf("NewVerifications: %v", err)
	}
	in := adult("Aiko", "Tanaka", "aiko@example.org")
	in.Status = members.StatusPending
	return &verifyFixture{now: &now, store: s, v: v, member: mustCreate(t, s, in)}
}

// issue begins a run of kind and issues its first code, marked sent.
func (f *verifyFixture) issue(t *testing.T, kind members.VerificationKind) (*members.Verification, members.Issued) {
	t.Helper()
	ctx := context.Background()
	run, err := f.v.Begin(ctx, actor, f.member.ID, kind)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	iss, err := f.v.Issue(ctx, run.InstanceID, 1)
	if err != nil || iss.Refused != "" || iss.Code == "" {
		t.Fatalf("Issue = %+v, %v; want a code", iss, err)
	}
	if err := f.v.MarkSent(ctx, run.InstanceID, 1); err != nil {
		t.Fatalf("MarkSent: %v", err)
	}
	return run, iss
}

func TestVerificationBegin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		first, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyPhone)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		if want := "phone-verification:member:" + itoa(f.member.ID) + ":1"; first.InstanceID != want {
			t.Errorf("instance id = %q, want %q", first.InstanceID, want)
		}
		var running *members.RunningError
		if _, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyPhone); !errors.As(err, &running) || !errors.Is(err, members.ErrConflict) {
			t.Fatalf("second Begin while running: %v, want a RunningError", err)
		}
		if running.Running.InstanceID != first.InstanceID {
			t.Errorf("running = %q, want %q", running.Running.InstanceID, first.InstanceID)
		}
		if err := f.v.End(ctx, actor, first.InstanceID, members.VerificationCancelled, "test"); err != nil {
			t.Fatalf("End: %v", err)
		}
		second, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyPhone)
		if err != nil || second.Seq != 2 {
			t.Fatalf("Begin after End = %+v, %v; want seq 2", second, err)
		}
		email, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyEmail)
		if err != nil || email.Seq != 1 || !strings.HasPrefix(email.InstanceID, "email-verification:") {
			t.Fatalf("e-mail Begin = %+v, %v", email, err)
		}
		noPhone := adult("Ken", "Sato", "ken@example.org")
		noPhone.Phone = ""
		m := mustCreate(t, f.store, noPhone)
		if _, err := f.v.Begin(ctx, actor, m.ID, members.VerifyPhone); fieldErrors(t, err)["phone"] == "" {
			t.Errorf("Begin without a phone number: %v, want a phone field error", err)
		}
	})
}

func TestVerificationIssueAndCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		run, iss := f.issue(t, members.VerifyPhone)
		if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(iss.Code) {
			t.Fatalf("code %q is not 6 digits", iss.Code)
		}
		if !iss.ExpiresAt.Equal(f.now.Add(10*time.Minute)) || iss.AttemptsLeft != 3 {
			t.Errorf("issued %+v, want expiry in 10m and 3 attempts", iss)
		}
		stored, err := f.v.Get(ctx, run.InstanceID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored.CodeHash, iss.Code) || stored.CodeHash != f.v.HashCode(run.InstanceID, 1, iss.Code) {
			t.Errorf("stored hash %q: want the keyed hash, never the code", stored.CodeHash)
		}
		again, err := f.v.Issue(ctx, run.InstanceID, 1)
		if err != nil || again.Code != "" || !again.ExpiresAt.Equal(iss.ExpiresAt) {
			t.Errorf("issuing a sent challenge again = %+v, %v; want the same challenge without a code", again, err)
		}

		wrong := f.v.HashCode(run.InstanceID, 1, "000000")
		if iss.Code == "000000" {
			wrong = f.v.HashCode(run.InstanceID, 1, "111111")
		}
		steps := []struct {
			name, checkID, hash string
			want                members.CheckResult
		}{
			{"wrong code", "c1", wrong, members.CheckResult{Result: members.CodeWrong, AttemptsLeft: 2}},
			{"the same entry checked again", "c1", wrong, members.CheckResult{Result: members.CodeWrong, AttemptsLeft: 2}},
			{"code of another challenge", "c2", f.v.HashCode(run.InstanceID, 2, iss.Code), members.CheckResult{Result: members.CodeWrong, AttemptsLeft: 1}},
			{"right code", "c3", f.v.HashCode(run.InstanceID, 1, " "+iss.Code+" "), members.CheckResult{Result: members.CodeVerified, AttemptsLeft: 1}},
			{"after the match", "c4", wrong, members.CheckResult{Result: members.CodeVerified, AttemptsLeft: 1}},
		}
		for _, s := range steps {
			got, err := f.v.Check(ctx, run.InstanceID, s.checkID, s.hash)
			if err != nil || got != s.want {
				t.Fatalf("%s: Check = %+v, %v; want %+v", s.name, got, err, s.want)
			}
		}
		changed, err := f.v.MarkVerified(ctx, "workflow:"+run.InstanceID, run.InstanceID)
		if err != nil || changed {
			t.Fatalf("MarkVerified = %v, %v", changed, err)
		}
		m, err := f.store.Get(ctx, f.member.ID)
		if err != nil || m.PhoneVerifiedAt == nil {
			t.Fatalf("member after MarkVerified: %+v, %v; want phone_verified_at", m, err)
		}
		if got, _ := f.v.Get(ctx, run.InstanceID); got.Status != members.VerificationVerified {
			t.Errorf("status = %s, want verified", got.Status)
		}
	})
}

func TestVerificationLocksAndExpires(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		run, iss := f.issue(t, members.VerifyPhone)
		wrong := f.v.HashCode(run.InstanceID, 1, "x")
		var got members.CheckResult
		for i, id := range []string{"a", "b", "c"} {
			var err error
			if got, err = f.v.Check(ctx, run.InstanceID, id, wrong); err != nil {
				t.Fatalf("check %d: %v", i, err)
			}
		}
		if got.Result != members.CodeLocked {
			t.Fatalf("third wrong code: %+v, want locked", got)
		}
		if got, _ := f.v.Check(ctx, run.InstanceID, "d", f.v.HashCode(run.InstanceID, 1, iss.Code)); got.Result != members.CodeLocked {
			t.Errorf("right code after lock: %+v, want locked", got)
		}

		email, iss := f.issue(t, members.VerifyEmail)
		*f.now = f.now.Add(24*time.Hour + time.Second)
		if got, _ := f.v.Check(ctx, email.InstanceID, "e", f.v.HashCode(email.InstanceID, 1, iss.Code)); got.Result != members.CodeExpired {
			t.Errorf("right code after expiry: %+v, want expired", got)
		}
	})
}

func TestVerificationResendLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		run, first := f.issue(t, members.VerifyPhone)

		steps := []struct {
			name      string
			advance   time.Duration
			challenge int
			refused   string
		}{
			{"within the cooldown", 30 * time.Second, 2, members.RefusedCooldown},
			{"after the cooldown", 31 * time.Second, 2, ""},
			// Two codes an hour go to a number: the third waits, whoever asks.
			{"third code within the hour", 2 * time.Minute, 3, members.RefusedLimit},
		}
		for _, s := range steps {
			*f.now = f.now.Add(s.advance)
			iss, err := f.v.Issue(ctx, run.InstanceID, s.challenge)
			if err != nil || iss.Refused != s.refused {
				t.Fatalf("%s: Issue = %+v, %v; want refused %q", s.name, iss, err, s.refused)
			}
			if s.refused == "" {
				if err := f.v.MarkSent(ctx, run.InstanceID, s.challenge); err != nil {
					t.Fatal(err)
				}
			}
		}
		old := f.v.HashCode(run.InstanceID, 1, first.Code)
		if got, _ := f.v.Check(ctx, run.InstanceID, "old", old); got.Result != members.CodeWrong {
			t.Errorf("the first code after a new one was sent: %+v, want wrong", got)
		}
		*f.now = testNow.Add(time.Hour + time.Second)
		if iss, err := f.v.Issue(ctx, run.InstanceID, 3); err != nil || iss.Refused != "" {
			t.Errorf("an hour later: %+v, %v; want a code", iss, err)
		}
	})
}

// TestVerificationRetriedSendKeepsCode: the issuing activity may run again after a crash between
// "the message went out" and "sent is recorded"; the retry must keep the code the member
// already holds, or every code they type would count as wrong.
func TestVerificationRetriedSendKeepsCode(t *testing.T) {
	f := newVerifyFixture(t, dbtest.SQLite(t))
	ctx := context.Background()
	run, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyPhone)
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.v.Issue(ctx, run.InstanceID, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Not marked sent: the retry issues again — the same code.
	b, err := f.v.Issue(ctx, run.InstanceID, 1)
	if err != nil || b.Code == "" || b.Refused != "" {
		t.Fatalf("retry = %+v, %v; want the code again", b, err)
	}
	if a.Code != b.Code {
		t.Fatalf("the retry made a new code %q; the member holds %q", b.Code, a.Code)
	}
	if err := f.v.MarkSent(ctx, run.InstanceID, 1); err != nil {
		t.Fatal(err)
	}
	if got, err := f.v.Check(ctx, run.InstanceID, "1", f.v.HashCode(run.InstanceID, 1, a.Code)); err != nil || got.Result != members.CodeVerified {
		t.Fatalf("the code the member holds: %+v, %v; want verified", got, err)
	}
	// Another challenge gets another code.
	other, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyEmail)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.v.Issue(ctx, other.InstanceID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Code == a.Code && len(a.Code) >= 6 {
		t.Errorf("two runs share the code %q", c.Code)
	}
}

func TestVerificationMarkVerifiedNumberChanged(t *testing.T) {
	f := newVerifyFixture(t, dbtest.SQLite(t))
	ctx := context.Background()
	run, iss := f.issue(t, members.VerifyPhone)
	if got, _ := f.v.Check(ctx, run.InstanceID, "1", f.v.HashCode(run.InstanceID, 1, iss.Code)); got.Result != members.CodeVerified {
		t.Fatalf("check: %+v", got)
	}
	if _, err := f.store.Update(ctx, actor, f.member.ID, members.MemberPatch{Phone: ptr("0151 98765432")}, nil); err != nil {
		t.Fatal(err)
	}
	changed, err := f.v.MarkVerified(ctx, actor, run.InstanceID)
	if err != nil || !changed {
		t.Fatalf("MarkVerified after the number changed = %v, %v; want changed", changed, err)
	}
	m, _ := f.store.Get(ctx, f.member.ID)
	got, _ := f.v.Get(ctx, run.InstanceID)
	if m.PhoneVerifiedAt != nil || got.Status != members.VerificationFailed {
		t.Errorf("phone_verified_at %v, run %s; want unverified and failed", m.PhoneVerifiedAt, got.Status)
	}
}

func TestVerificationEndAudits(t *testing.T) {
	f := newVerifyFixture(t, dbtest.SQLite(t))
	ctx := context.Background()
	run, _ := f.issue(t, members.VerifyPhone)
	for range 2 {
		if err := f.v.End(ctx, "workflow:x", run.InstanceID, members.VerificationExpired, "no code entered in time"); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, err := f.store.AuditLog(ctx, members.AuditQuery{MemberID: f.member.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ends int
	for _, r := range rows {
		if r.Action == "phone_verification_expired" {
			ends++
			if !strings.Contains(r.NewValue, "no code entered in time") {
				t.Errorf("audit row %+v lacks the reason", r)
			}
		}
	}
	if ends != 1 {
		t.Errorf("%d audit rows for the end, want 1", ends)
	}
}

func TestVerificationAllowRequest(t *testing.T) {
	f := newVerifyFixture(t, dbtest.SQLite(t))
	ctx := context.Background()
	for i, want := range []error{nil, nil, members.ErrTooManyRequests} {
		if err := f.v.AllowRequest(ctx, "192.0.2.1"); !errors.Is(err, want) {
			t.Fatalf("request %d: %v, want %v", i+1, err, want)
		}
	}
	if err := f.v.AllowRequest(ctx, "192.0.2.2"); err != nil {
		t.Errorf("another address: %v", err)
	}
	*f.now = f.now.Add(time.Hour)
	if err := f.v.AllowRequest(ctx, "192.0.2.1"); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

func TestVerificationTokens(t *testing.T) {
	gdb := dbtest.SQLite(t)
	f := newVerifyFixture(t, gdb)
	join := members.JoinLink{MemberID: 7, PhoneSeq: 1, EmailSeq: 2}
	tok := f.v.JoinToken(join)
	if got, err := f.v.OpenJoinToken(tok); err != nil || got != join {
		t.Fatalf("OpenJoinToken = %+v, %v; want %+v", got, err, join)
	}
	link := members.EmailLink{MemberID: 7, Seq: 2, Challenge: 3, Code: "123456"}
	linkTok := f.v.EmailLinkToken(link)
	if got, err := f.v.OpenEmailLink(linkTok); err != nil || got != link {
		t.Fatalf("OpenEmailLink = %+v, %v", got, err)
	}
	// A second store on the same database uses the same key.
	other, err := members.NewVerifications(context.Background(), f.store, verifyOpts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.OpenJoinToken(tok); err != nil {
		t.Errorf("token from another process: %v", err)
	}
	bad := []struct{ name, token string }{
		{"empty", ""},
		{"tampered", "Nz" + tok[2:]},
		{"truncated signature", tok[:len(tok)-2]},
		{"e-mail link as join link", linkTok},
	}
	for _, tc := range bad {
		if _, err := f.v.OpenJoinToken(tc.token); !errors.Is(err, members.ErrBadToken) {
			t.Errorf("%s: %v, want ErrBadToken", tc.name, err)
		}
	}
	// Another installation's key refuses it.
	elsewhere := newVerifyFixture(t, dbtest.SQLite(t))
	if _, err := elsewhere.v.OpenJoinToken(tok); !errors.Is(err, members.ErrBadToken) {
		t.Errorf("token of another installation: %v", err)
	}
}

func TestVerificationOnboarding(t *testing.T) {
	f := newVerifyFixture(t, dbtest.SQLite(t))
	ctx := context.Background()
	const wf = "workflow:member-onboarding:member:1"
	for range 2 {
		if err := f.v.RecordOnboardingIncomplete(ctx, wf, f.member.ID, "Expired", "Verified"); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, _ := f.store.AuditLog(ctx, members.AuditQuery{MemberID: f.member.ID})
	var n int
	for _, r := range rows {
		if r.Action == members.ActionOnboardingIncomplete {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d onboarding audit rows, want 2 (phone and e-mail, once)", n)
	}
	for i, want := range []bool{true, false} {
		activated, err := f.v.Activate(ctx, wf, f.member.ID)
		if err != nil || activated != want {
			t.Fatalf("Activate #%d = %v, %v; want %v", i+1, activated, err, want)
		}
	}
	if m, _ := f.store.Get(ctx, f.member.ID); m.Status != members.StatusActive {
		t.Errorf("status %s, want active", m.Status)
	}
}

// TestVerificationChanged: a waiter taken before a change is woken by it — a check, the run
// verified, the run ended — and one taken after waits for the next.
func TestVerificationChanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		f := newVerifyFixture(t, gdb)
		run, iss := f.issue(t, members.VerifyPhone)
		woken := func(ch <-chan struct{}) bool {
			select {
			case <-ch:
				return true
			default:
				return false
			}
		}
		steps := []struct {
			name   string
			change func() error
		}{
			{"check", func() error {
				_, err := f.v.Check(ctx, run.InstanceID, "c1", f.v.HashCode(run.InstanceID, 1, iss.Code))
				return err
			}},
			{"verified", func() error { _, err := f.v.MarkVerified(ctx, actor, run.InstanceID); return err }},
			{"ended", func() error {
				other, err := f.v.Begin(ctx, actor, f.member.ID, members.VerifyEmail)
				if err != nil {
					return err
				}
				return f.v.End(ctx, actor, other.InstanceID, members.VerificationCancelled, "test")
			}},
		}
		for _, s := range steps {
			ch := f.v.Changed()
			if woken(ch) {
				t.Fatalf("%s: woken before the change", s.name)
			}
			if err := s.change(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if !woken(ch) {
				t.Errorf("%s: not woken", s.name)
			}
			if woken(f.v.Changed()) {
				t.Errorf("%s: a waiter taken after the change is woken too", s.name)
			}
		}
	})
}
