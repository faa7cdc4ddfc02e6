package workflows_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/db/dbtest"
	"membership/members"
	"membership/notify/notifytest"
	"membership/taskhub"
	"membership/web/webtest"
	"membership/workflows"
)

// approvalRig is a send rig whose club has every campaign of two members or more approved by a
// second admin; other is that second admin's API client.
func approvalRig(t *testing.T) (*sendRig, *webtest.API) {
	t.Helper()
	r := newSendRig(t, nil)
	resp, body := r.admin.Do(t, http.MethodPut, "/api/v1/campaign-settings", members.CampaignSettings{ApprovalMinAudience: 2, ApprovalHours: 24})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("campaign settings: %d %s", resp.StatusCode, body)
	}
	return r, r.app.API(t, "admin")
}

// TestCampaignApproval: a campaign of three waits for a second admin; its author cannot
// approve it; approved it goes out, rejected it ends unsent. A campaign of one needs none.
func TestCampaignApproval(t *testing.T) {
	for _, tc := range []struct {
		name    string
		approve bool
	}{{"approved", true}, {"rejected", false}} {
		t.Run(tc.name, func(t *testing.T) {
			r, other := approvalRig(t)
			r.addMembers(t, 3, nil)
			id, inst := r.startCampaign(t, members.CampaignInput{Name: "Renewal " + tc.name, Channels: []string{"email"}, Subject: "Hi", Message: "Hello"})
			var c members.Campaign
			within(t, 30*time.Second, "awaiting approval", func() bool {
				c = r.campaign(t, id)
				return c.Approval == members.ApprovalAwaiting
			})
			if c.Status != members.CampaignPlanned || c.ApprovalDeadline == nil || len(r.memberMails()) != 0 {
				t.Fatalf("awaiting campaign = %+v, %d member e-mails", c, len(r.memberMails()))
			}
			// The approvers hear of it: the admin user, not the author (a token).
			within(t, 10*time.Second, "the approvers' e-mail", func() bool { return len(r.adminMails()) == 1 })
			if m := r.adminMails()[0]; !strings.Contains(m.Subject, "Renewal "+tc.name) || !strings.Contains(m.Text, fmt.Sprintf("/campaigns/%d", id)) {
				t.Errorf("approvers' e-mail: %s\n%s", m.Subject, m.Text)
			}
			md := r.instance(t, inst, api.RUNTIME_STATUS_RUNNING)
			if !strings.Contains(md.SerializedCustomStatus, `"awaiting_approval"`) {
				t.Errorf("status = %s", md.SerializedCustomStatus)
			}
			verb := map[bool]string{true: "approve", false: "reject"}[tc.approve]
			resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/%s", id, verb), nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("the author's %s: %d %s, want 403", verb, resp.StatusCode, body)
			}
			resp, body = other.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/%s", id, verb), map[string]string{"note": "ok from me"})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", verb, resp.StatusCode, body)
			}
			if tc.approve {
				c = r.waitCampaign(t, id, members.CampaignCompleted)
				if c.Counts.Sent != 3 || c.Approval != members.ApprovalApproved || c.ApprovalNote != "ok from me" {
					t.Errorf("approved campaign = %s %+v %s %q", c.Status, c.Counts, c.Approval, c.ApprovalNote)
				}
				saveGolden(t, r.app.Hub, inst, "renewal_campaign_v1_approved")
			} else {
				c = r.waitCampaign(t, id, members.CampaignCancelled)
				r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)
				if c.Approval != members.ApprovalRejected || len(r.memberMails()) != 0 {
					t.Errorf("rejected campaign = %s %s, %d member e-mails", c.Status, c.Approval, len(r.memberMails()))
				}
			}
			resp, _ = other.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/approve", id), nil)
			if want := map[bool]int{true: http.StatusOK, false: http.StatusConflict}[tc.approve]; resp.StatusCode != want {
				t.Errorf("approving again: %d, want %d", resp.StatusCode, want)
			}
		})
	}
	t.Run("small audience", func(t *testing.T) {
		r, _ := approvalRig(t)
		r.addMembers(t, 1, nil)
		id, _ := r.startCampaign(t, members.CampaignInput{Name: "Just one", Channels: []string{"email"}, Subject: "Hi", Message: "Hello"})
		if c := r.waitCampaign(t, id, members.CampaignCompleted); c.Approval != "" || c.Counts.Sent != 1 {
			t.Errorf("campaign below the threshold = %s %+v", c.Approval, c.Counts)
		}
	})
}

// TestCampaignApprovalExpires: nobody answers by the deadline — the campaign ends "not
// approved" (expired), unsent.
func TestCampaignApprovalExpires(t *testing.T) {
	r, _ := approvalRig(t)
	r.addMembers(t, 3, nil)
	ctx := context.Background()
	c, err := r.app.Members.CreateCampaign(ctx, "token:99", members.CampaignInput{Name: "Nobody decides", Channels: []string{"email"}, Subject: "Hi", Message: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	// The approval was asked for a while ago: two seconds are left of it.
	deadline := time.Now().Add(2 * time.Second)
	if err := r.app.DB.Exec("UPDATE campaigns SET approval = 'awaiting', approval_deadline = ? WHERE id = ?", deadline.UTC(), c.ID).Error; err != nil {
		t.Fatal(err)
	}
	inst := r.startV1(t, c, workflows.RenewalCampaignInput{})
	got := r.waitCampaign(t, c.ID, members.CampaignCancelled)
	if got.Approval != members.ApprovalExpired || !strings.Contains(got.Error, "not approved") || len(r.memberMails()) != 0 {
		t.Fatalf("expired campaign = %s %s %q, %d member e-mails", got.Status, got.Approval, got.Error, len(r.memberMails()))
	}
	md := r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)
	if !strings.Contains(md.SerializedCustomStatus, "not_approved") {
		t.Errorf("status = %s", md.SerializedCustomStatus)
	}
	saveGolden(t, r.app.Hub, inst, "renewal_campaign_v1_expired")
}

// TestCampaignMissedStart: each policy for a start missed while the task hub was down — the
// hub stops before the planned start and comes back after it, on the same file.
func TestCampaignMissedStart(t *testing.T) {
	for _, tc := range []struct {
		policy, missed string
		want           members.CampaignStatus
		sent           int
	}{
		{members.MissedSend, members.MissedSentLate, members.CampaignCompleted, 2},
		{members.MissedSkip, members.MissedSkipped, members.CampaignCancelled, 0},
		{members.MissedHold, members.MissedSentLate, members.CampaignCompleted, 2},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			r := newSendRig(t, nil)
			r.addMembers(t, 2, nil)
			ctx := context.Background()
			start := time.Now().Add(time.Second)
			c, err := r.app.Members.CreateCampaign(ctx, "token:99", members.CampaignInput{Name: "Missed " + tc.policy, Channels: []string{"email"},
				Subject: "Hi", Message: "Hello", StartAt: &start, MissedPolicy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			inst := r.startV1(t, c, workflows.RenewalCampaignInput{MissedGrace: time.Second})
			r.instance(t, inst, api.RUNTIME_STATUS_RUNNING)
			// The server goes down before the start and comes back two seconds after its grace.
			if err := r.app.Hub.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Until(start.Add(3 * time.Second)))
			hub := r.reopenHub(t)
			if tc.policy == members.MissedHold {
				within(t, 30*time.Second, "held", func() bool { return r.campaign(t, c.ID).Missed == members.MissedHeld })
				if len(r.memberMails()) != 0 {
					t.Fatal("a held campaign sent")
				}
				if _, err := r.app.Members.ReleaseHeld(ctx, "user:1", c.ID, true); err != nil {
					t.Fatal(err)
				}
				if err := hub.Client().RaiseEvent(ctx, inst, workflows.CampaignReleaseEvent, api.WithEventPayload(workflows.CampaignDecision{Approve: true})); err != nil {
					t.Fatal(err)
				}
			}
			got := r.waitCampaign(t, c.ID, tc.want)
			if got.Missed != tc.missed || got.Counts.Sent != tc.sent || len(r.memberMails()) != tc.sent {
				t.Errorf("campaign = %s missed %q, %d sent, %d e-mails; want %s %q %d", got.Status, got.Missed, got.Counts.Sent, len(r.memberMails()), tc.want, tc.missed, tc.sent)
			}
			if tc.policy == members.MissedHold {
				saveGolden(t, hub, inst, "renewal_campaign_v1_held")
			}
		})
	}
}

// TestCampaignHeldThroughTheAPI: a held campaign is skipped with POST …/skip; a campaign not
// held answers 409.
func TestCampaignHeldThroughTheAPI(t *testing.T) {
	r := newSendRig(t, nil)
	r.addMembers(t, 2, nil)
	c, err := r.app.Members.CreateCampaign(context.Background(), "token:99", members.CampaignInput{Name: "Held", Channels: []string{"email"},
		Subject: "Hi", Message: "Hello", MissedPolicy: members.MissedHold})
	if err != nil {
		t.Fatal(err)
	}
	// Planned an hour ago, as the workflow sees it: missed.
	inst := r.startV1(t, c, workflows.RenewalCampaignInput{StartAt: time.Now().Add(-time.Hour)})
	within(t, 30*time.Second, "held", func() bool { return r.campaign(t, c.ID).Missed == members.MissedHeld })
	resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/skip", c.ID), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("skip: %d %s", resp.StatusCode, body)
	}
	got := r.waitCampaign(t, c.ID, members.CampaignCancelled)
	r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)
	if got.Missed != members.MissedSkipped || len(r.memberMails()) != 0 {
		t.Errorf("skipped campaign = %s %q, %d e-mails", got.Status, got.Missed, len(r.memberMails()))
	}
	resp, _ = r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/send-now", c.ID), nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("send-now of a skipped campaign: %d, want 409", resp.StatusCode)
	}
}

// TestCampaignSMSFallback: "SMS, else e-mail" — a member without SMS consent and one whose
// number Twilio refuses for good get the e-mail instead, once; the report says so.
func TestCampaignSMSFallback(t *testing.T) {
	r := newSendRig(t, nil)
	ms := r.addMembers(t, 3, func(i int, in *members.MemberInput) {
		if i == 1 {
			in.SMSConsent = false
		}
	})
	r.s.Twilio.FailNth(2, notifytest.Failure{Permanent: true}) // member 2's number: 21211 invalid
	id, _ := r.startCampaign(t, members.CampaignInput{Name: "Fallback", Channels: []string{"sms"}, Subject: "News", Message: "Hello {{.FirstName}}", SMSFallback: true})
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	if len(r.s.Twilio.Messages()) != 1 || len(r.memberMails()) != 2 {
		t.Fatalf("%d SMS and %d e-mails, want 1 and 2 (counts %+v)", len(r.s.Twilio.Messages()), len(r.memberMails()), c.Counts)
	}
	rows, _, err := r.app.Members.CampaignRecipients(context.Background(), id, members.RecipientQuery{PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	for _, row := range rows {
		if row.MemberID == ms[1].ID && row.Status != members.RecipientSkipped {
			t.Errorf("the member without SMS consent: %s", row.Status)
		}
		served[row.Status+"/"+row.Fallback+":"+row.FallbackStatus]++
	}
	// Which of the two with consent Twilio refused depends on the order of the sends.
	want := map[string]int{"sent/:": 1, "skipped/email:sent": 1, "failed/email:sent": 1}
	if fmt.Sprint(served) != fmt.Sprint(want) {
		t.Errorf("report = %v, want %v", served, want)
	}
	var csv strings.Builder
	if err := r.app.Members.WriteCampaignReportCSV(context.Background(), &csv, id); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "fallback,fallback_status") || !strings.Contains(csv.String(), ",email,sent") {
		t.Errorf("report CSV:\n%s", csv.String())
	}
}

// TestCampaignQuietHoursETA: while the SMS wait for the quiet hours, the campaign says until
// when; once they end the mark is gone.
func TestCampaignQuietHoursETA(t *testing.T) {
	r := newSendRig(t, func(cfg *config.Config) {
		cfg.Campaigns.QuietHours = config.QuietHours{From: config.ClockTime{Hour: 21}, To: config.ClockTime{Hour: 8}, Set: true}
	})
	began, start := time.Now(), time.Date(2025, 6, 15, 7, 59, 58, 0, r.app.Config.Club.Location())
	r.s.Campaigns.Now = func() time.Time { return start.Add(time.Since(began)) }
	r.addMembers(t, 2, nil)
	id, _ := r.startCampaign(t, members.CampaignInput{Name: "Morning", Channels: []string{"sms"}, Message: "Good morning"})
	within(t, 10*time.Second, "the quiet-hours mark", func() bool { return r.campaign(t, id).QuietUntil != nil })
	if eta := r.campaign(t, id).QuietUntil; !eta.Equal(time.Date(2025, 6, 15, 8, 0, 0, 0, r.app.Config.Club.Location())) {
		t.Errorf("quiet until %v, want 08:00", eta)
	}
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	if c.QuietUntil != nil || c.Counts.Sent != 2 {
		t.Errorf("after the quiet hours: %v, %+v", c.QuietUntil, c.Counts)
	}
}

// startV1 starts a version 1 RenewalCampaign for c directly, with in's overrides.
func (r *sendRig) startV1(t *testing.T, c *members.Campaign, in workflows.RenewalCampaignInput) api.InstanceID {
	t.Helper()
	in.CampaignID, in.Version, in.MissedPolicy = c.ID, workflows.RenewalCampaignVersion, c.MissedPolicy
	if in.StartAt.IsZero() {
		in.StartAt = c.StartAt
	}
	id := api.InstanceID(c.InstanceID)
	if _, err := r.app.Hub.Client().ScheduleNewOrchestration(context.Background(), workflows.RenewalCampaignName,
		api.WithInstanceID(id), api.WithInput(in)); err != nil {
		t.Fatal(err)
	}
	return id
}

// reopenHub opens the task hub again on the app's file, with the app's workflows and
// activities, as a restarted server would; the app's own hub must be shut down first.
func (r *sendRig) reopenHub(t *testing.T) *taskhub.Hub {
	t.Helper()
	ctx := context.Background()
	cfg := r.app.Config
	hub, err := taskhub.Open(ctx, taskhub.Options{DSN: cfg.TaskHub.DSN, Name: "test", LockTimeout: cfg.TaskHub.LockTimeout.Std(), Parallelism: cfg.TaskHub.Parallelism}, dbtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	reg := task.NewTaskRegistry()
	if err := r.s.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := hub.Start(ctx, reg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("task hub shutdown: %v", err)
		}
	})
	return hub
}

// memberMails and adminMails split the e-mails SendGrid took: to members, and to the admin.
func (r *sendRig) memberMails() []notifytest.SendGridMessage {
	var out []notifytest.SendGridMessage
	for _, m := range r.s.SendGrid.Messages() {
		if m.To != webtest.AdminEmail {
			out = append(out, m)
		}
	}
	return out
}

func (r *sendRig) adminMails() []notifytest.SendGridMessage {
	var out []notifytest.SendGridMessage
	for _, m := range r.s.SendGrid.Messages() {
		if m.To == webtest.AdminEmail {
			out = append(out, m)
		}
	}
	return out
}
