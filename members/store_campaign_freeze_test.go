package members_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// reachFixture is a club with one member for each way a campaign can miss someone: no
// consent, no contact, erased, and archived.
func reachFixture(t *testing.T, s *members.Store) {
	t.Helper()
	ctx := context.Background()
	for _, tc := range []struct {
		first, email, phone string
		sms, mail           bool
		archived, erased    bool
	}{
		{first: "Anna", email: "a@example.org", phone: "0151 23456789", sms: true, mail: true},
		{first: "Bert", email: "b@example.org", phone: "0151 23456788", mail: true},
		{first: "Cem", phone: "0151 23456787", sms: true},
		{first: "Dora", email: "d@example.org"},
		{first: "Emil", email: "e@example.org", phone: "0151 23456786", sms: true, mail: true, erased: true},
		{first: "Fina", email: "f@example.org", phone: "0151 23456785", sms: true, mail: true, archived: true},
		{first: "Gus", email: "g@example.org", phone: "0151 23456784", sms: true, mail: true},
	} {
		in := adult(tc.first, "Reach", tc.email)
		in.Phone, in.SMSConsent, in.EmailConsent = tc.phone, tc.sms, tc.mail
		if tc.archived {
			in.Status = members.StatusArchived
		}
		m := mustCreate(t, s, in)
		if tc.erased {
			if _, err := s.Erase(ctx, actor, m.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// recipientRows lists a campaign's recipients as "first name/channel/batch/status/reason", in
// member and channel order.
func recipientRows(t *testing.T, s *members.Store, id int64) []string {
	t.Helper()
	var out []string
	err := s.IterateCampaignRecipients(context.Background(), id, func(r *members.CampaignRecipient) error {
		out = append(out, fmt.Sprintf("%s/%s/%d/%s/%s", r.FirstName, r.Channel, r.Batch, r.Status, r.Reason))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFreezeSkipsTheUnreachable(t *testing.T) {
	erased := "Erased" // Erase pseudonymises the first name
	cases := []struct {
		name   string
		change func(*members.CampaignInput)
		want   []string
		size   int
	}{
		{
			name: "e-mail and sms",
			want: []string{
				"Anna/email/1/pending/", "Anna/sms/1/pending/",
				"Bert/email/2/pending/", "Bert/sms/0/skipped/no sms consent",
				"Cem/email/0/skipped/no e-mail address", "Cem/sms/2/pending/",
				"Dora/email/0/skipped/no e-mail consent", "Dora/sms/0/skipped/no phone number",
				"Gus/email/3/pending/", "Gus/sms/3/pending/",
			},
			size: 5,
		},
		{
			name:   "sms fallback sends the unreachable sms's e-mail, not an erased member's",
			change: func(in *members.CampaignInput) { in.SMSFallback, in.Audience.Status = true, "all" },
			want: []string{
				"Anna/email/1/pending/", "Anna/sms/1/pending/",
				"Bert/email/2/pending/", "Bert/sms/2/pending/",
				"Cem/email/0/skipped/no e-mail address", "Cem/sms/3/pending/",
				"Dora/email/0/skipped/no e-mail consent", "Dora/sms/3/pending/",
				erased + "/email/0/skipped/member erased", erased + "/sms/0/skipped/member erased",
				"Fina/email/4/pending/", "Fina/sms/4/pending/",
				"Gus/email/5/pending/", "Gus/sms/5/pending/",
			},
			size: 7,
		},
		{
			name:   "e-mail only, every status",
			change: func(in *members.CampaignInput) { in.Channels, in.Audience.Status = []string{"email"}, "all" },
			want: []string{
				"Anna/email/1/pending/", "Bert/email/1/pending/",
				"Cem/email/0/skipped/no e-mail address", "Dora/email/0/skipped/no e-mail consent",
				erased + "/email/0/skipped/member erased", "Fina/email/2/pending/", "Gus/email/2/pending/",
			},
			size: 7,
		},
		{
			name: "sms only, archived",
			change: func(in *members.CampaignInput) {
				in.Channels, in.Subject, in.Audience.Status = []string{"sms"}, "", "archived"
			},
			want: []string{erased + "/sms/0/skipped/member erased", "Fina/sms/1/pending/"},
			size: 2,
		},
	}
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		// Chunks of two members cross the audience's chunk boundaries.
		members.SetIterateChunk(s, 2)
		reachFixture(t, s)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := campaignInput()
				if tc.change != nil {
					tc.change(&in)
				}
				c, err := s.CreateCampaign(ctx, actor, in)
				if err != nil {
					t.Fatal(err)
				}
				fr, err := s.FreezeCampaignAudience(ctx, c.ID, 2)
				if err != nil {
					t.Fatal(err)
				}
				got := recipientRows(t, s, c.ID)
				// The pseudonym ends in the member's number; the test needs only its start.
				for i, r := range got {
					if name, rest, _ := strings.Cut(r, "/"); strings.HasPrefix(name, erased) {
						got[i] = erased + "/" + rest
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("recipients:\n got %q\nwant %q", got, tc.want)
				}
				if fr.AudienceSize != tc.size || fr.Counts.Total != len(tc.want) {
					t.Errorf("freeze = %+v, want audience %d and %d recipients", fr, tc.size, len(tc.want))
				}
			})
		}
	})
}

// TestFreezeWritesWhatTheMembersSay freezes a seeded club, large enough for full chunks of
// recipients and a partial last one, and checks every row against the rule spelled out from
// the whole members: Unreachable on the channel, the SMS kept for the fallback unless the
// member is erased, the others numbered into batches in member and channel order.
func TestFreezeWritesWhatTheMembersSay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		if err := s.SeedDemo(ctx, 400, rand.New(rand.NewPCG(7, 7))); err != nil {
			t.Fatal(err)
		}
		for _, fallback := range []bool{false, true} {
			t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
				in := campaignInput()
				in.SMSFallback, in.Audience.Status = fallback, "all"
				c, err := s.CreateCampaign(ctx, actor, in)
				if err != nil {
					t.Fatal(err)
				}
				if c, err = s.GetCampaign(ctx, c.ID); err != nil {
					t.Fatal(err)
				}
				const batchSize = 7
				fr, err := s.FreezeCampaignAudience(ctx, c.ID, batchSize)
				if err != nil {
					t.Fatal(err)
				}
				type row struct {
					member      int64
					channel     string
					batch       int
					status, why string
				}
				var rows []row
				sendable, size := 0, 0
				err = s.Iterate(ctx, c.Audience.Query(), func(m *members.Member) error {
					size++
					for _, ch := range c.Channels {
						why := members.Unreachable(m, ch)
						if ch == members.CampaignSMS && fallback && why != "" && m.ErasedAt == nil {
							why = ""
						}
						r := row{member: m.ID, channel: ch, status: members.RecipientSkipped, why: why}
						if why == "" {
							r.batch, r.status = sendable/batchSize+1, members.RecipientPending
							sendable++
						}
						rows = append(rows, r)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				slices.SortFunc(rows, func(a, b row) int {
					return cmp.Or(cmp.Compare(a.member, b.member), strings.Compare(a.channel, b.channel))
				})
				want := make([]string, len(rows))
				for i, r := range rows {
					want[i] = fmt.Sprintf("%d/%s/%d/%s/%s", r.member, r.channel, r.batch, r.status, r.why)
				}
				var got []string
				err = s.IterateCampaignRecipients(ctx, c.ID, func(r *members.CampaignRecipient) error {
					got = append(got, fmt.Sprintf("%d/%s/%d/%s/%s", r.MemberID, r.Channel, r.Batch, r.Status, r.Reason))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) <= 500 {
					t.Fatalf("%d recipients do not fill a chunk of 500", len(got))
				}
				if !slices.Equal(got, want) {
					for i := range min(len(got), len(want)) {
						if got[i] != want[i] {
							t.Fatalf("recipient %d = %s, want %s (%d rows, want %d)", i, got[i], want[i], len(got), len(want))
						}
					}
					t.Fatalf("%d recipients, want %d", len(got), len(want))
				}
				if fr.AudienceSize != size || fr.Counts.Total != len(want) {
					t.Errorf("freeze = %+v, want audience %d and %d recipients", fr, size, len(want))
				}
			})
		}
	})
}
