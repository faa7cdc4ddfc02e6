package activities

import (
	"testing"
	"time"

	"membership/members"
)

// TestRecipientOf: a Guardian e-mail about a minor goes to the guardian's address; about an
// adult, or without a guardian's address, or not marked Guardian, to the member.
func TestRecipientOf(t *testing.T) {
	today := members.DateOf(time.Now())
	child := members.Member{FirstName: "Kai", LastName: "Sato", Email: "kai@example.org", BirthDate: today.AddDays(-365 * 10),
		GuardianName: "Yuki Sato", GuardianEmail: "yuki@example.org"}
	adult := child
	adult.BirthDate = today.AddDays(-365 * 30)
	noAddress := adult
	noAddress.Email = ""
	noGuardian := child
	noGuardian.GuardianEmail = ""
	for _, tc := range []struct {
		name     string
		m        members.Member
		guardian bool
		channel  string
		want     string
	}{
		{"minor", child, true, ChannelEmail, "yuki@example.org"},
		{"minor, not a guardian notice", child, false, ChannelEmail, "kai@example.org"},
		{"adult", adult, true, ChannelEmail, "kai@example.org"},
		{"adult without an address of their own", noAddress, true, ChannelEmail, "yuki@example.org"},
		{"minor without a guardian's address", noGuardian, true, ChannelEmail, "kai@example.org"},
		{"SMS", child, true, ChannelSMS, "kai@example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := recipientOf(NoticeRequest{Guardian: tc.guardian, Channel: tc.channel}, &tc.m)
			if got.email != tc.want {
				t.Errorf("to %q, want %q", got.email, tc.want)
			}
		})
	}
}
