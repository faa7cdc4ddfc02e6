package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/config"
	"membership/members"
	"membership/workflows"
)

// challengeCase is one path through a verification run: what the person (or an admin) does,
// and how the run ends.
type challengeCase struct {
	name      string
	configure func(*config.Config)
	// act drives the run; code returns the code of the n-th message (counted from 1).
	act  func(t *testing.T, r *rig, id api.InstanceID, code func(n int) string)
	want string
	// wantReason is in the audit row of a run that did not succeed.
	wantReason string
}

func phoneCases() []challengeCase {
	return []challengeCase{
		{name: "right_first_time", want: workflows.Verified,
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				if got := r.enter(t, id, code(1)); got.Result != members.CodeVerified {
					t.Fatalf("right code: %+v", got)
				}
			}},
		{name: "wrong_then_right", want: workflows.Verified,
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				c := code(1)
				if got := r.enter(t, id, wrongCode(c)); got != (members.CheckResult{Result: members.CodeWrong, AttemptsLeft: 4}) {
					t.Fatalf("wrong code: %+v, want wrong with 4 left", got)
				}
				r.eventually(t, "the custom status shows 4 attempts left", func() bool { return r.status(t, id).AttemptsLeft == 4 })
				if got := r.enter(t, id, c); got.Result != members.CodeVerified {
					t.Fatalf("right code: %+v", got)
				}
			}},
		{name: "attempts_used_up", want: workflows.Failed, wantReason: "every attempt was used",
			configure: func(c *config.Config) { c.Verification.Phone.MaxAttempts = 2 },
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				c := code(1)
				r.enter(t, id, wrongCode(c))
				if got := r.enter(t, id, wrongCode(c)); got.Result != members.CodeLocked {
					t.Fatalf("last wrong code: %+v, want locked", got)
				}
			}},
		{name: "timeout", want: workflows.Expired, wantReason: "no code was entered in time",
			configure: func(c *config.Config) {
				c.Verification.Phone.Timeout, c.Verification.Email.Timeout = config.Duration(time.Second), config.Duration(time.Second)
			},
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) { code(1) }},
		{name: "resend", want: workflows.Verified,
			configure: func(c *config.Config) { c.Verification.Phone.ResendCooldown = 0 },
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				first := code(1)
				r.raise(t, id, eventOf(id), workflows.ChallengeEvent{Kind: workflows.EventResend})
				second := code(2)
				r.eventually(t, "the run waits on the second challenge", func() bool { return r.status(t, id).Challenge == 2 })
				if first != second {
					if got := r.enter(t, id, first); got.Result != members.CodeWrong {
						t.Fatalf("the first code after a resend: %+v, want wrong", got)
					}
				}
				if got := r.enter(t, id, second); got.Result != members.CodeVerified {
					t.Fatalf("the second code: %+v", got)
				}
			}},
		{name: "resend_within_cooldown", want: workflows.Verified,
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				c := code(1)
				r.raise(t, id, eventOf(id), workflows.ChallengeEvent{Kind: workflows.EventResend})
				r.eventually(t, "the run refuses the resend", func() bool { return r.status(t, id).Notice == "cooldown" })
				if got := r.enter(t, id, c); got.Result != members.CodeVerified {
					t.Fatalf("the first code still holds: %+v", got)
				}
			}},
		{name: "restart_while_waiting", want: workflows.Verified,
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				c := code(1)
				r.restart(t)
				if got := r.enter(t, id, c); got.Result != members.CodeVerified {
					t.Fatalf("code after the restart: %+v", got)
				}
			}},
		{name: "cancel", want: workflows.Cancelled, wantReason: "cancelled by an admin",
			act: func(t *testing.T, r *rig, id api.InstanceID, code func(int) string) {
				code(1)
				r.raise(t, id, eventOf(id), workflows.ChallengeEvent{Kind: workflows.EventCancel})
			}},
	}
}

func eventOf(id api.InstanceID) string {
	if strings.HasPrefix(string(id), "email-") {
		return workflows.EmailConfirmedEvent
	}
	return workflows.SmsChallengeResponseEvent
}

func TestPhoneVerification(t *testing.T) {
	runChallenges(t, members.VerifyPhone, phoneCases(), func(t *testing.T, r *rig, m *members.Member, n int) string {
		return r.v.WaitSMS(t, m.Phone, n)
	})
}

// runChallenges runs each case on a rig of its own: a run of kind for a new member, driven by
// the case, must end as the case wants and leave the records so; with -update its history is
// recorded as testdata/<kind>_verification_<case>.json. code reads the n-th code sent.
func runChallenges(t *testing.T, kind members.VerificationKind, cases []challengeCase, code func(t *testing.T, r *rig, m *members.Member, n int) string) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.configure)
			m := r.member(t)
			id := r.begin(t, m, kind)
			tc.act(t, r, id, func(n int) string { return code(t, r, m, n) })
			if got := r.done(t, id); got != tc.want {
				t.Fatalf("output %q, want %q", got, tc.want)
			}
			checkOutcome(t, r, m, id, kind, tc)
			saveGolden(t, r.hub, id, string(kind)+"_verification_"+tc.name)
		})
	}
}

// checkOutcome checks the member's record and the run's after a run ended.
func checkOutcome(t *testing.T, r *rig, m *members.Member, id api.InstanceID, kind members.VerificationKind, tc challengeCase) {
	t.Helper()
	ctx := context.Background()
	got, err := r.store.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	verifiedAt := got.PhoneVerifiedAt
	if kind == members.VerifyEmail {
		verifiedAt = got.EmailVerifiedAt
	}
	if (verifiedAt != nil) != (tc.want == workflows.Verified) {
		t.Errorf("%s verified at %v after %s", kind, verifiedAt, tc.want)
	}
	run, err := r.v.Verifications.Get(ctx, string(id))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ToLower(tc.want); run.Status != want {
		t.Errorf("run status %s, want %s", run.Status, want)
	}
	if tc.wantReason == "" {
		return
	}
	rows, _, err := r.store.AuditLog(ctx, members.AuditQuery{MemberID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.Action == string(kind)+"_verification_"+run.Status && strings.Contains(row.NewValue, tc.wantReason) {
			return
		}
	}
	t.Errorf("no audit row says %q: %+v", tc.wantReason, rows)
}

// TestPhoneCodeNeverRestsInPlainText looks for the code everywhere it must not be: the task
// hub's history, the app database's verification and notice rows.
func TestPhoneCodeNeverRestsInPlainText(t *testing.T) {
	r := newRig(t, nil)
	m := r.member(t)
	id := r.begin(t, m, members.VerifyPhone)
	code := r.v.WaitSMS(t, m.Phone, 1)
	r.enter(t, id, wrongCode(code))
	r.enter(t, id, code)
	r.done(t, id)
	for i, e := range readHistory(t, r.hub, id) {
		if strings.Contains(e.String(), code) {
			t.Errorf("history event %d holds the code: %v", i, e)
		}
	}
	run, err := r.v.Verifications.Get(context.Background(), string(id))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(run.CodeHash, code) {
		t.Errorf("the run stores the code")
	}
	notices, err := r.store.MemberNotices(context.Background(), m.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 {
		t.Fatalf("%d notices, want the one SMS", len(notices))
	}
	if n := notices[0]; strings.Contains(n.Body, code) || n.Body == "" {
		t.Errorf("the notice row keeps %q; want the text with the code masked", n.Body)
	}
}
