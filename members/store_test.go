package members_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func TestCreateNormalisesAndReadsBack(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		plan := mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
		in := adult("  Jürgen ", "Müller", "Juergen.Mueller@Example.org")
		in.Plan = "erwachsene"
		in.SMSConsent = true
		in.Rank = "3. Kyu"
		in.Status = ""
		created := mustCreate(t, s, in)

		got, err := s.Get(ctx, created.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		checks := []struct{ what, got, want string }{
			{"first_name", got.FirstName, "Jürgen"},
			{"phone", got.Phone, "+4915123456789"},
			{"email", got.Email, "Juergen.Mueller@Example.org"},
			{"plan", got.Plan, "Erwachsene"},
			{"status", string(got.Status), "active"},
			{"joined_on", got.JoinedOn.String(), "2025-06-15"},
			{"birth_date", got.BirthDate.String(), "1990-03-04"},
			{"rank", got.Rank, "3. Kyu"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
			}
		}
		if got.PlanID == nil || *got.PlanID != plan.ID {
			t.Errorf("plan_id = %v, want %d", got.PlanID, plan.ID)
		}
		if got.SMSConsentAt == nil || !got.SMSConsentAt.Equal(testNow) {
			t.Errorf("sms_consent_at = %v, want %v", got.SMSConsentAt, testNow)
		}
		if got.EmailConsent || got.EmailConsentAt != nil {
			t.Errorf("email consent = %v at %v, want none", got.EmailConsent, got.EmailConsentAt)
		}
		if got.Version != 1 || !got.CreatedAt.Equal(testNow) {
			t.Errorf("version %d created %v, want 1 at %v", got.Version, got.CreatedAt, testNow)
		}
		if _, err := s.Get(ctx, created.ID+100); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func TestCreateReportsEveryInvalidField(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newStore(t, gdb)
		mustPlan(t, s, "Kinder", 2000, members.Monthly)
		taken := mustCreate(t, s, adult("Anna", "Schmidt", "anna@example.org"))
		child := members.NewDate(2015, time.May, 1)
		tests := []struct {
			name   string
			change func(in *members.MemberInput)
			want   map[string]string
		}{
			{"names missing", func(in *members.MemberInput) { in.FirstName, in.LastName = " ", "" },
				map[string]string{"first_name": "is required", "last_name": "is required"}},
			{"bad e-mail and phone", func(in *members.MemberInput) { in.Email, in.Phone = "anna(at)example", "0151 1" },
				map[string]string{"email": "is not a valid e-mail address", "phone": "not a valid phone number for DE"}},
			{"e-mail with a display name", func(in *members.MemberInput) { in.Email = "Anna <a@example.org>" },
				map[string]string{"email": "is not a valid e-mail address"}},
			{"phone from elsewhere", func(in *members.MemberInput) { in.Phone = "+1 201 555 0123" },
				map[string]string{"phone": "numbers from US are not accepted"}},
			{"e-mail taken, in other case", func(in *members.MemberInput) { in.Email = "ANNA@example.org" },
				map[string]string{"email": "already used by member #" + itoa(taken.ID)}},
			{"born tomorrow", func(in *members.MemberInput) { in.BirthDate = members.NewDate(2025, time.June, 16) },
				map[string]string{"birth_date": "must not be in the future"}},
			{"minor without guardian", func(in *members.MemberInput) { in.BirthDate = child },
				map[string]string{"guardian_name": "is required for a member under 18",
					"guardian_phone": "a guardian's phone number or e-mail address is required for a member under 18"}},
			{"minor with a bad guardian phone", func(in *members.MemberInput) {
				in.BirthDate, in.GuardianName, in.GuardianPhone = child, "Eva Schmidt", "12"
			}, map[string]string{"guardian_phone": "not a valid phone number for DE"}},
			{"unknown status, plan and rank", func(in *members.MemberInput) { in.Status, in.Plan, in.Rank = "gone", "Senioren", "11. Dan" },
				map[string]string{"status": "must be one of pending, active, paused, archived",
					"plan": `there is no plan "Senioren"`, "rank": "is not a known rank (6. Kyu … 10. Dan)"}},
			{"consent time without consent", func(in *members.MemberInput) { in.EmailConsentAt = ptr(testNow.Add(-time.Hour)) },
				map[string]string{"email_consent_at": "is set but the consent is not given"}},
			{"consent in the future", func(in *members.MemberInput) { in.SMSConsent, in.SMSConsentAt = true, ptr(testNow.Add(time.Hour)) },
				map[string]string{"sms_consent_at": "must not be in the future"}},
			{"ends before joining", func(in *members.MemberInput) {
				in.JoinedOn, in.MembershipEndsOn = members.NewDate(2024, 1, 1), members.NewDate(2023, 12, 31)
			}, map[string]string{"membership_ends_on": "must not be before joined_on"}},
			{"notes too long", func(in *members.MemberInput) { in.Notes = strings.Repeat("x", 10001) },
				map[string]string{"notes": "is longer than 10000 characters"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := adult("Bernd", "Becker", "bernd@example.org")
				tc.change(&in)
				_, err := s.Create(context.Background(), actor, in)
				got := fieldErrors(t, err)
				if len(got) != len(tc.want) {
					t.Errorf("fields = %v, want %v", got, tc.want)
				}
				for f, msg := range tc.want {
					if got[f] != msg {
						t.Errorf("%s: %q, want %q", f, got[f], msg)
					}
				}
			})
		}
		// A minor with a guardian is fine, and the guardian's phone is normalised too.
		in := adult("Paul", "Schmidt", "")
		in.Phone, in.BirthDate, in.GuardianName, in.GuardianPhone, in.Plan = "", child, "Eva Schmidt", "0170 1234567", "Kinder"
		if m := mustCreate(t, s, in); m.GuardianPhone != "+491701234567" {
			t.Errorf("guardian_phone = %q, want +491701234567", m.GuardianPhone)
		}
	})
}
