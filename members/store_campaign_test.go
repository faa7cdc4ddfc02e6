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

func campaignInput() members.CampaignInput {
	return members.CampaignInput{
		Name: "Renewal 2025", Channels: []string{"sms", "email"},
		Subject: "Renew, {{.FirstName}}", Message: "Hello {{.FirstName}}, your membership ends {{.MembershipEndsOn}}.",
	}
}

func TestCreateCampaignValidates(t *testing.T) {
	gdb := dbtest.SQLite(t)
	s := newStore(t, gdb)
	far := testNow.Add(400 * 24 * time.Hour)
	cases := []struct {
		name   string
		change func(*members.CampaignInput)
		field  string
	}{
		{"no name", func(in *members.CampaignInput) { in.Name = "  " }, "name"},
		{"no channel", func(in *members.CampaignInput) { in.Channels = nil }, "channels"},
		{"unknown channel", func(in *members.CampaignInput) { in.Channels = []string{"fax"} }, "channels"},
		{"e-mail without subject", func(in *members.CampaignInput) { in.Subject = "" }, "subject"},
		{"no message", func(in *members.CampaignInput) { in.Message = "" }, "message"},
		{"unknown field", func(in *members.CampaignInput) { in.Message = "Hi {{.Nickname}}" }, "message"},
		{"broken template", func(in *members.CampaignInput) { in.Message = "Hi {{.FirstName" }, "message"},
		{"unknown plan", func(in *members.CampaignInput) { in.Audience.Plan = "Nope" }, "audience.plan"},
		{"start too far ahead", func(in *members.CampaignInput) { in.StartAt = &far }, "start_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := campaignInput()
			tc.change(&in)
			_, err := s.CreateCampaign(context.Background(), actor, in)
			errs := fieldErrors(t, err)
			if errs[tc.field] == "" {
				t.Fatalf("errors = %v, want one for %s", errs, tc.field)
			}
		})
	}
	t.Run("sms needs no subject", func(t *testing.T) {
		in := campaignInput()
		in.Channels, in.Subject = []string{"sms", "sms"}, ""
		c, err := s.CreateCampaign(context.Background(), actor, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Channels) != 1 || c.Channels[0] != "sms" || c.Status != members.CampaignPlanned || !c.StartAt.Equal(testNow) {
			t.Fatalf("campaign = %+v, want one sms channel, planned now", c)
		}
	})
}

// audienceFixture is a club of five: two reachable on both channels, one without SMS consent,
// one without an e-mail address, and one archived (not in the default audience).
func audienceFixture(t *testing.T, s *members.Store) []*members.Member {
	t.Helper()
	var out []*members.Member
	for i, tc := range []struct {
		email     string
		sms, mail bool
		archived  bool
		firstName string
	}{
		{"a@example.org", true, true, false, "Anna"},
		{"b@example.org", true, true, false, "Bert"},
		{"c@example.org", false, true, false, "Cem"},
		{"", true, false, false, "Dora"},
		{"e@example.org", true, true, true, "Emil"},
	} {
		in := adult(tc.firstName, "Member", tc.email)
		in.SMSConsent, in.EmailConsent = tc.sms, tc.mail
		in.MembershipEndsOn = members.NewDate(2025, time.July, i+1)
		if tc.archived {
			in.Status = members.StatusArchived
		}
		out = append(out, mustCreate(t, s, in))
	}
	return out
}

func TestCampaignLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		ms := audienceFixture(t, s)
		c, err := s.CreateCampaign(ctx, actor, campaignInput())
		if err != nil {
			t.Fatal(err)
		}
		if c.InstanceID != members.CampaignInstanceID(c.ID) {
			t.Errorf("instance id = %q", c.InstanceID)
		}

		fr, err := s.FreezeCampaignAudience(ctx, c.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		// 4 members × 2 channels; skipped: Cem's SMS, Dora's e-mail.
		want := members.CampaignFreeze{AudienceSize: 4, Counts: members.CampaignCounts{Total: 8, Skipped: 2}, Batches: 3}
		if fr != want {
			t.Fatalf("freeze = %+v, want %+v", fr, want)
		}
		// Members change after the freeze: the audience does not.
		if _, err := s.Update(ctx, actor, ms[2].ID, members.MemberPatch{SMSConsent: ptr(true)}, nil); err != nil {
			t.Fatal(err)
		}
		again, err := s.FreezeCampaignAudience(ctx, c.ID, 50)
		if err != nil || again != want {
			t.Fatalf("second freeze = %+v, %v; want %+v", again, err, want)
		}

		batch1, err := s.PendingCampaignRecipients(ctx, c.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch1) != 2 || batch1[0].MemberID != ms[0].ID || batch1[0].Channel != "email" || batch1[1].Channel != "sms" {
			t.Fatalf("batch 1 = %+v, want Anna's e-mail and SMS", batch1)
		}
		err = s.RecordCampaignResults(ctx, c.ID, []members.RecipientResult{
			{MemberID: ms[0].ID, Channel: "email", Status: members.RecipientSent, NoticeID: 11},
			{MemberID: ms[0].ID, Channel: "sms", Status: members.RecipientFailed, Reason: "21211 invalid number"},
		})
		if err != nil {
			t.Fatal(err)
		}
		// A batch that runs again cannot overwrite a settled recipient.
		if err := s.RecordCampaignResults(ctx, c.ID, []members.RecipientResult{{MemberID: ms[0].ID, Channel: "email", Status: members.RecipientFailed}}); err != nil {
			t.Fatal(err)
		}
		if err := s.FailCampaignBatch(ctx, c.ID, 2, "gave up"); err != nil {
			t.Fatal(err)
		}
		bc, err := s.CampaignBatchCounts(ctx, c.ID, 1)
		if err != nil || bc != (members.CampaignCounts{Total: 2, Sent: 1, Failed: 1}) {
			t.Fatalf("batch 1 counts = %+v, %v", bc, err)
		}
		got, err := s.GetCampaign(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != members.CampaignRunning || got.StartedAt == nil || got.Counts != (members.CampaignCounts{Total: 8, Sent: 1, Failed: 3, Skipped: 2}) {
			t.Fatalf("running campaign = %s %+v", got.Status, got.Counts)
		}

		if _, err := s.CreateRetryCampaign(ctx, actor, c.ID); !errors.Is(err, members.ErrConflict) {
			t.Errorf("retry of a running campaign: %v, want ErrConflict", err)
		}
		done, err := s.FinishCampaign(ctx, c.ID, members.CampaignCompleted, "")
		if err != nil || done.Status != members.CampaignCompleted || done.FinishedAt == nil {
			t.Fatalf("finish = %+v, %v", done, err)
		}
		if _, err := s.CancelCampaign(ctx, actor, c.ID); !errors.Is(err, members.ErrConflict) {
			t.Errorf("cancel of a completed campaign: %v, want ErrConflict", err)
		}

		failed, n, err := s.CampaignRecipients(ctx, c.ID, members.RecipientQuery{Status: members.RecipientFailed})
		if err != nil || n != 3 || failed[0].FirstName != "Anna" || failed[0].Reason != "21211 invalid number" {
			t.Fatalf("failed recipients = %+v (%d), %v", failed, n, err)
		}
		var all []string
		err = s.IterateCampaignRecipients(ctx, c.ID, func(r *members.CampaignRecipient) error {
			all = append(all, r.FirstName+"/"+r.Channel+"/"+r.Status)
			return nil
		})
		if err != nil || len(all) != 8 || all[0] != "Anna/email/sent" || all[7] != "Dora/sms/pending" {
			t.Fatalf("iterate = %v, %v", all, err)
		}

		retry, err := s.CreateRetryCampaign(ctx, actor, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if retry.ParentID == nil || *retry.ParentID != c.ID || retry.Name != "Renewal 2025 (retry)" || retry.ID == c.ID {
			t.Fatalf("retry = %+v", retry)
		}
		rf, err := s.FreezeCampaignAudience(ctx, retry.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if rf != (members.CampaignFreeze{AudienceSize: 2, Counts: members.CampaignCounts{Total: 3}, Batches: 2}) {
			t.Fatalf("retry freeze = %+v", rf)
		}
	})
}

func TestCancelPlannedCampaign(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	audienceFixture(t, s)
	later := testNow.Add(time.Hour)
	in := campaignInput()
	in.StartAt = &later
	c, err := s.CreateCampaign(ctx, actor, in)
	if err != nil {
		t.Fatal(err)
	}
	if !c.StartAt.Equal(later) {
		t.Errorf("start_at = %v, want %v", c.StartAt, later)
	}
	got, err := s.CancelCampaign(ctx, actor, c.ID)
	if err != nil || got.Status != members.CampaignCancelled {
		t.Fatalf("cancel = %+v, %v", got, err)
	}
	if _, err := s.FreezeCampaignAudience(ctx, c.ID, 10); !errors.Is(err, members.ErrConflict) {
		t.Errorf("freeze after cancel: %v, want ErrConflict", err)
	}
	log, _, err := s.AuditLog(ctx, members.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if log[0].Action != members.ActionCampaignCancel || log[1].Action != members.ActionCampaignCreate {
		t.Errorf("audit = %s, %s; want campaign_cancel, campaign_create", log[0].Action, log[1].Action)
	}
}

func TestPreviewCampaign(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	ms := audienceFixture(t, s)
	in := campaignInput()
	p, err := s.PreviewCampaign(ctx, &in, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.AudienceSize != 4 || len(p.Channels) != 2 || p.Channels[0].Channel != "email" || in.Channels[0] != "email" {
		t.Fatalf("preview = %+v", p)
	}
	if p.Channels[0].Reachable != 3 || len(p.Channels[0].Skipped) != 1 || p.Channels[0].Skipped[0] != (members.SkipCount{Reason: "no e-mail address", Count: 1}) {
		t.Errorf("e-mail = %+v", p.Channels[0])
	}
	if p.Channels[1].Reachable != 3 || p.Channels[1].Skipped[0].Reason != "no sms consent" {
		t.Errorf("sms = %+v", p.Channels[1])
	}
	if len(p.Samples) != 2 || p.Samples[0].ID != ms[0].ID || p.Samples[1].ID != ms[1].ID {
		t.Fatalf("samples = %+v, want the first two members", p.Samples)
	}
	in.Message = "{{.Fistname}}"
	_, err = s.PreviewCampaign(ctx, &in, 2)
	if got := fieldErrors(t, err)["message"]; !strings.Contains(got, "unknown field Fistname") {
		t.Errorf("message error = %q, want it to name the unknown field", got)
	}
}

func TestClaimAndSettleNotices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		ms := audienceFixture(t, s)
		row := func(key string, m *members.Member, st members.NoticeStatus) members.Notice {
			return members.Notice{Key: key, MemberID: &m.ID, Purpose: "campaign", Channel: "email", Template: "campaign", Status: st, Body: "Hello"}
		}
		// One notice exists from an earlier attempt, one is done already.
		if _, err := s.ClaimNotice(ctx, row("k:b", ms[1], members.NoticeQueued)); err != nil {
			t.Fatal(err)
		}
		done, err := s.ClaimNotice(ctx, row("k:c", ms[2], members.NoticeQueued))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkNoticeSent(ctx, done.ID, "p-0"); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimNotices(ctx, []members.Notice{
			row("k:a", ms[0], members.NoticeQueued), row("k:b", ms[1], members.NoticeQueued),
			row("k:c", ms[2], members.NoticeQueued), {Key: "k:d", MemberID: &ms[3].ID, Purpose: "campaign", Channel: "email",
				Template: "campaign", Status: members.NoticeSkipped, ErrorMessage: "no e-mail address"},
		}, []string{"k:a", "k:b", "k:c"})
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]members.NoticeStatus{"k:a": members.NoticeSending, "k:b": members.NoticeSending,
			"k:c": members.NoticeSent, "k:d": members.NoticeSkipped} {
			if n := got[key]; n == nil || n.Status != want {
				t.Errorf("%s = %+v, want %s", key, n, want)
			}
		}
		if got["k:a"].Attempts != 1 || got["k:b"].Attempts != 1 || got["k:c"].ProviderMessageID != "p-0" {
			t.Errorf("attempts %d, %d; done notice %+v", got["k:a"].Attempts, got["k:b"].Attempts, got["k:c"])
		}
		err = s.SettleNotices(ctx, []members.NoticeOutcome{
			{ID: got["k:a"].ID, Status: members.NoticeSent, ProviderMessageID: "p-1"},
			{ID: got["k:b"].ID, Status: members.NoticeQueued, ErrorCode: "503", ErrorMessage: "try later"},
			{ID: got["k:c"].ID, Status: members.NoticeFailed, ErrorCode: "550", ErrorMessage: "no"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"k:a": "sent p-1 ", "k:b": "queued  503", "k:c": "sent p-0 "} {
			n, err := s.NoticeByKey(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(n.Status) + " " + n.ProviderMessageID + " " + n.ErrorCode; got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		byID, err := s.MembersByID(ctx, []int64{ms[0].ID, ms[1].ID, 99999})
		if err != nil || len(byID) != 2 || byID[ms[1].ID].FirstName != "Bert" {
			t.Errorf("members by id = %v, %v", byID, err)
		}
	})
}
