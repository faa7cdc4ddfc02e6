package workflows_test

import (
	"testing"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/workflows"
)

// emailCases are the phone's paths, with the code read from the e-mail's link, plus following
// the link itself.
func emailCases() []challengeCase {
	return append(phoneCases(), challengeCase{name: "link", want: workflows.Verified,
		act: func(t *testing.T, r *rig, id api.InstanceID, _ func(int) string) {
			m := memberOf(t, r, id)
			r.follow(t, r.v.WaitEmail(t, m.Email, 1))
		}})
}

func TestEmailVerification(t *testing.T) {
	runChallenges(t, members.VerifyEmail, emailCases(), func(t *testing.T, r *rig, m *members.Member, n int) string {
		return r.openLink(t, r.v.WaitEmail(t, m.Email, n)).Code
	})
}

func memberOf(t *testing.T, r *rig, id api.InstanceID) *members.Member {
	t.Helper()
	run, err := r.v.Verifications.Get(t.Context(), string(id))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.store.Get(t.Context(), run.MemberID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
