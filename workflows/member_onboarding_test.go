package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/config"
	"membership/members"
	"membership/web/webtest"
	"membership/workflows"
)

// join starts a member's onboarding as the join form does.
func (r *rig) join(t *testing.T, m *members.Member) api.InstanceID {
	t.Helper()
	ctx := context.Background()
	phone, err := r.v.Verifications.Begin(ctx, "public", m.ID, members.VerifyPhone)
	if err != nil {
		t.Fatal(err)
	}
	email, err := r.v.Verifications.Begin(ctx, "public", m.ID, members.VerifyEmail)
	if err != nil {
		t.Fatal(err)
	}
	id := api.InstanceID(workflows.OnboardingInstanceID(m.ID))
	_, err = r.hub.Client().ScheduleNewOrchestration(ctx, workflows.MemberOnboardingName, api.WithInstanceID(id),
		api.WithInput(workflows.OnboardingInput{MemberID: m.ID, PhoneInstance: phone.InstanceID, EmailInstance: email.InstanceID}))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMemberOnboarding(t *testing.T) {
	tests := []struct {
		name       string
		configure  func(*config.Config)
		confirm    func(t *testing.T, r *rig, m *members.Member)
		want       string
		wantStatus members.Status
	}{
		{name: "active", want: workflows.Active, wantStatus: members.StatusActive,
			confirm: func(t *testing.T, r *rig, m *members.Member) {
				// Both codes are out at once: the runs go side by side.
				code := r.v.WaitSMS(t, m.Phone, 1)
				link := r.v.WaitEmail(t, m.Email, 1)
				r.follow(t, link)
				r.enter(t, api.InstanceID(members.VerificationInstanceID(members.VerifyPhone, m.ID, 1)), code)
			}},
		{name: "pending", want: workflows.Pending, wantStatus: members.StatusPending,
			configure: func(c *config.Config) { c.Verification.Phone.Timeout = config.Duration(time.Second) },
			confirm: func(t *testing.T, r *rig, m *members.Member) {
				r.follow(t, r.v.WaitEmail(t, m.Email, 1))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.configure)
			m := r.member(t)
			id := r.join(t, m)
			tc.confirm(t, r, m)
			if got := r.done(t, id); got != tc.want {
				t.Fatalf("output %q, want %q", got, tc.want)
			}
			got, err := r.store.Get(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus {
				t.Errorf("member is %s, want %s", got.Status, tc.wantStatus)
			}
			if tc.want == workflows.Active {
				r.v.WaitEmail(t, m.Email, 1) // the link
				waitSubject(t, r, m.Email, "Welcome to My Dojo")
				waitSubject(t, r, webtest.AdminEmail, "New member: "+m.FullName())
			} else {
				checkIncomplete(t, r, m, "Expired", "Verified")
			}
			saveGolden(t, r.hub, id, "member_onboarding_"+tc.name)
		})
	}
}

func waitSubject(t *testing.T, r *rig, to, subject string) {
	t.Helper()
	r.eventually(t, "an e-mail "+subject+" to "+to, func() bool {
		for _, m := range r.v.SendGrid.Messages() {
			if m.To == to && m.Subject == subject {
				return true
			}
		}
		return false
	})
}

// checkIncomplete checks the audit rows that say why a join left the member pending.
func checkIncomplete(t *testing.T, r *rig, m *members.Member, phone, email string) {
	t.Helper()
	rows, _, err := r.store.AuditLog(context.Background(), members.AuditQuery{MemberID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range rows {
		if row.Action == members.ActionOnboardingIncomplete {
			got[row.Field] = row.NewValue
		}
	}
	if got["phone_verification"] != phone || got["email_verification"] != email {
		t.Errorf("onboarding audit rows %v, want phone %s and e-mail %s", got, phone, email)
	}
}
