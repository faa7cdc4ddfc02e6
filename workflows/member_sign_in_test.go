package workflows_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/workflows"
)

// beginSignIn records a sign-in of m to address and starts its MemberSignIn.
func (r *rig) beginSignIn(t *testing.T, m *members.Member, kind members.VerificationKind, address string) api.InstanceID {
	t.Helper()
	run, err := r.v.Verifications.BeginFor(context.Background(), "portal:sign-in", m.ID, kind, members.PurposeSignIn, address)
	if err != nil {
		t.Fatal(err)
	}
	id := api.InstanceID(run.InstanceID)
	_, err = r.hub.Client().ScheduleNewOrchestration(context.Background(), workflows.MemberSignInName, api.WithInstanceID(id),
		api.WithInput(workflows.VerificationInput{MemberID: m.ID, Version: workflows.SignInVersion}))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestMemberSignIn runs sign-ins on a real task hub: by SMS with a wrong code first, by e-mail
// to a guardian's address, and one that expires. A verified sign-in becomes one session, once.
func TestMemberSignIn(t *testing.T) {
	r := newRig(t, func(c *config.Config) { c.Verification.Email.Timeout = config.Duration(2 * time.Second) })
	ctx := context.Background()

	t.Run("by_code", func(t *testing.T) {
		m := r.member(t)
		id := r.beginSignIn(t, m, members.VerifyPhone, m.Phone)
		code := r.v.WaitSMS(t, m.Phone, 1)
		if got := r.enter(t, id, wrongCode(code)); got.Result != members.CodeWrong {
			t.Fatalf("wrong code: %+v", got)
		}
		if got := r.enter(t, id, code); got.Result != members.CodeVerified {
			t.Fatalf("right code: %+v", got)
		}
		if out := r.done(t, id); out != workflows.Verified {
			t.Fatalf("output %q", out)
		}
		// A sign-in confirms nothing on the record and starts no verification of it.
		if got, _ := r.store.Get(ctx, m.ID); got.PhoneVerifiedAt != nil {
			t.Error("a sign-in marked the phone verified")
		}
		_, sess, err := r.v.Verifications.ClaimSignIn(ctx, string(id), "test")
		if err != nil || len(sess.Reach) != 1 || sess.Reach[0] != (members.PortalReach{MemberID: m.ID}) {
			t.Fatalf("claim: %+v %v", sess, err)
		}
		if _, _, err := r.v.Verifications.ClaimSignIn(ctx, string(id), "test"); !errors.Is(err, members.ErrConflict) {
			t.Fatalf("second claim: %v, want ErrConflict", err)
		}
		saveGolden(t, r.hub, id, "member_sign_in_by_code")
	})

	t.Run("guardian_by_link", func(t *testing.T) {
		kid, err := r.store.Create(ctx, "user:1", members.MemberInput{FirstName: "Yui", LastName: "Kato", Status: members.StatusActive,
			BirthDate: members.DateOf(time.Now().AddDate(-9, 0, 0)), GuardianName: "Rin Kato", GuardianEmail: "rin@example.org", GuardianPhone: "+4915100000009"})
		if err != nil {
			t.Fatal(err)
		}
		id := r.beginSignIn(t, kid, members.VerifyEmail, "rin@example.org")
		var text string
		r.eventually(t, "the sign-in e-mail to the guardian", func() bool {
			for _, msg := range r.v.SendGrid.Messages() {
				if msg.To == "rin@example.org" {
					text = msg.Text
				}
			}
			return text != ""
		})
		if !strings.Contains(text, "/portal/sign-in/link/") {
			t.Fatalf("the e-mail holds no sign-in link: %q", text)
		}
		m := regexp.MustCompile(`sign-in page: ([0-9]+)`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("the e-mail holds no code: %q", text)
		}
		code := m[1]
		if got := r.enter(t, id, code); got.Result != members.CodeVerified {
			t.Fatalf("the link's code: %+v", got)
		}
		r.done(t, id)
		_, sess, err := r.v.Verifications.ClaimSignIn(ctx, string(id), "test")
		if err != nil || len(sess.Reach) != 1 || sess.Reach[0] != (members.PortalReach{MemberID: kid.ID, Guardian: true}) {
			t.Fatalf("claim: %+v %v", sess, err)
		}
	})

	t.Run("expires", func(t *testing.T) {
		m := r.member(t)
		id := r.beginSignIn(t, m, members.VerifyEmail, m.Email)
		if out := r.done(t, id); out != workflows.Expired {
			t.Fatalf("output %q, want Expired", out)
		}
		if _, _, err := r.v.Verifications.ClaimSignIn(ctx, string(id), "test"); !errors.Is(err, members.ErrConflict) {
			t.Fatalf("claim of an expired sign-in: %v", err)
		}
	})
}

// TestGoldenReplaySignIn replays the recorded sign-in, and proves the replay fails when the
// run would mark itself signed in before checking the code.
func TestGoldenReplaySignIn(t *testing.T) {
	replayGoldenFiles(t, "member_sign_in_*.json", workflows.RegisterVerification)
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN(workflows.MemberSignInName, signInMarkFirst); err != nil {
		t.Fatal(err)
	}
	id, events := loadGolden(t, filepath.Join("testdata", "member_sign_in_by_code.json"))
	if err := replay(r, id, events); err == nil || !strings.Contains(err.Error(), workflows.CompleteSignInActivity) {
		t.Fatalf("replay with the steps swapped: %v, want it to name %s", err, workflows.CompleteSignInActivity)
	}
}

// signInMarkFirst is a broken MemberSignIn that completes before it issues a code.
func signInMarkFirst(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.VerificationInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity(workflows.CompleteSignInActivity, task.WithActivityInput(workflows.MarkInput{InstanceID: string(ctx.ID), MemberID: in.MemberID})).Await(nil); err != nil {
		return nil, err
	}
	return workflows.Verified, nil
}
