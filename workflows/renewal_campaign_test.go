package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/config"
	"membership/members"
	"membership/notify/notifytest"
	"membership/workflows"
)

// plan marks every 20th send a fake receives to fail transiently and every 100th for good, up
// to attempts, and returns how many of the permanent ones the fake reached.
func plan(fail func(int, notifytest.Failure), attempts int) func(reached int) int {
	for n := 20; n <= attempts; n += 20 {
		fail(n, notifytest.Failure{Permanent: n%100 == 0})
	}
	return func(reached int) int { return reached / 100 }
}

// TestCampaignToFiveHundred sends a campaign by SMS and e-mail to 500 members while both
// providers fail 5 % of the sends transiently and 1 % for good: every transient failure is
// delivered by a retry, every permanent one is reported with its reason and tried once, and
// nobody gets a message twice.
func TestCampaignToFiveHundred(t *testing.T) {
	r := newSendRig(t, func(cfg *config.Config) { cfg.Campaigns.BatchSize = 100 })
	r.addMembers(t, 500, nil)
	smsPermanent := plan(r.s.Twilio.FailNth, 1200)
	emailPermanent := plan(r.s.SendGrid.FailNth, 1200)

	id, inst := r.startCampaign(t, members.CampaignInput{Name: "Renewal", Channels: []string{"sms", "email"},
		Subject: "Renew, {{.FirstName}}", Message: "Hello {{.FirstName}}, please renew your membership."})
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	md := r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)

	sms, mails := r.s.Twilio.Messages(), r.s.SendGrid.Messages()
	permanent := smsPermanent(r.s.Twilio.Attempts()) + emailPermanent(r.s.SendGrid.Attempts())
	want := members.CampaignCounts{Total: 1000, Sent: 1000 - permanent, Failed: permanent}
	if c.Counts != want || c.AudienceSize != 500 {
		t.Fatalf("counts = %+v of %d members, want %+v of 500", c.Counts, c.AudienceSize, want)
	}
	if len(sms)+len(mails) != want.Sent {
		t.Errorf("the fakes accepted %d SMS and %d e-mails, want %d in all", len(sms), len(mails), want.Sent)
	}
	for name, to := range map[string][]string{"SMS": recipients(sms, func(m notifytest.TwilioMessage) string { return m.To }),
		"e-mail": recipients(mails, func(m notifytest.SendGridMessage) string { return m.To })} {
		if dup := duplicates(to); len(dup) > 0 {
			t.Errorf("%s sent twice to %v", name, dup)
		}
	}
	// Each send was tried once, plus once more per transient failure: none was retried after a
	// permanent refusal, and none sent twice.
	transient := func(attempts int) int { return attempts/20 - attempts/100 }
	for name, f := range map[string]struct{ attempts, accepted int }{
		"twilio": {r.s.Twilio.Attempts(), len(sms)}, "sendgrid": {r.s.SendGrid.Attempts(), len(mails)},
	} {
		if f.attempts != f.accepted+f.attempts/20 {
			t.Errorf("%s: %d attempts for %d accepted and %d failed (%d transient)", name, f.attempts, f.accepted, f.attempts/20, transient(f.attempts))
		}
	}
	failed, n, err := r.app.Members.CampaignRecipients(context.Background(), id, members.RecipientQuery{Status: members.RecipientFailed})
	if err != nil || int(n) != permanent {
		t.Fatalf("failed recipients = %d, %v; want %d", n, err, permanent)
	}
	for _, f := range failed {
		if f.Reason == "" {
			t.Errorf("failed recipient %d/%s has no reason", f.MemberID, f.Channel)
		}
	}
	var out workflows.CampaignCounts
	if err := json.Unmarshal([]byte(md.SerializedOutput), &out); err != nil || out != workflows.CampaignCounts(want) {
		t.Errorf("output = %s, want the counts %+v", md.SerializedOutput, want)
	}
}

func recipients[M any](msgs []M, to func(M) string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = to(m)
	}
	return out
}

func duplicates(items []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if seen[it] {
			out = append(out, it)
		}
		seen[it] = true
	}
	return out
}

// TestCampaignPlannedStart: a campaign planned a moment ahead waits on a durable timer, then
// runs; its history is the golden RenewalCampaign run.
func TestCampaignPlannedStart(t *testing.T) {
	r := newSendRig(t, nil)
	r.addMembers(t, 30, nil)
	start := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Millisecond)
	id, inst := r.startCampaign(t, members.CampaignInput{Name: "Later", Channels: []string{"email"}, Subject: "Hi",
		Message: "Hello {{.FirstName}}", StartAt: &start})
	if c := r.campaign(t, id); c.Status != members.CampaignPlanned || !c.StartAt.Equal(start) {
		t.Fatalf("campaign = %s at %v, want planned at %v", c.Status, c.StartAt, start)
	}
	// Version 1 asks first whether the campaign needs an approval, then shows it planned.
	within(t, 10*time.Second, "custom status planned", func() bool {
		md := r.instance(t, inst, api.RUNTIME_STATUS_RUNNING, api.RUNTIME_STATUS_COMPLETED)
		return strings.Contains(md.SerializedCustomStatus, `"planned"`)
	})
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	if c.StartedAt == nil || c.StartedAt.Before(start) || c.Counts.Sent != 30 {
		t.Fatalf("campaign started %v (planned %v), counts %+v", c.StartedAt, start, c.Counts)
	}
	r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)
	saveGolden(t, r.app.Hub, inst, "renewal_campaign_planned")
}

// TestCampaignHistoryStaysBounded: 65 batches run over three generations of the orchestrator
// (ContinueAsNew every 32), so no history grows with the audience.
func TestCampaignHistoryStaysBounded(t *testing.T) {
	r := newSendRig(t, func(cfg *config.Config) { cfg.Campaigns.BatchSize = 2 })
	r.addMembers(t, 130, nil)
	id, inst := r.startCampaign(t, members.CampaignInput{Name: "Many batches", Channels: []string{"email"}, Subject: "Hi", Message: "Hello"})
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	if c.Counts.Sent != 130 {
		t.Fatalf("counts = %+v, want 130 sent", c.Counts)
	}
	md := r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)
	var in workflows.RenewalCampaignInput
	if err := json.Unmarshal([]byte(md.SerializedInput), &in); err != nil {
		t.Fatal(err)
	}
	if in.Next != 65 || in.Batches != 65 || in.Counts.Sent != 128 {
		t.Errorf("last generation's input = %+v, want batches 65..65 after 128 sent", in)
	}
	if events := readHistory(t, r.app.Hub, inst); len(events) > 30 {
		t.Errorf("the last generation's history has %d events", len(events))
	}
	saveGolden(t, r.app.Hub, inst, "renewal_campaign_last_generation")
}

// TestCampaignQuietHoursThenCancel: during quiet hours a campaign's e-mails go out and its SMS
// wait; cancelled then, it stops for good — batches terminated, no SMS ever sent.
func TestCampaignQuietHoursThenCancel(t *testing.T) {
	r := newSendRig(t, func(cfg *config.Config) {
		cfg.Campaigns.QuietHours = config.QuietHours{From: config.ClockTime{Hour: 21}, To: config.ClockTime{Hour: 8}, Set: true}
	})
	late := time.Date(2025, 6, 15, 22, 0, 0, 0, r.app.Config.Club.Location())
	r.s.Campaigns.Now = func() time.Time { return late }
	r.addMembers(t, 40, nil)
	id, inst := r.startCampaign(t, members.CampaignInput{Name: "Night", Channels: []string{"email", "sms"}, Subject: "Hi", Message: "Hello"})
	within(t, 30*time.Second, "e-mails sent", func() bool { return r.campaign(t, id).Counts.Sent == 40 })
	resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/cancel", id), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	r.instance(t, inst, api.RUNTIME_STATUS_TERMINATED)
	c := r.campaign(t, id)
	if c.Status != members.CampaignCancelled || c.Counts.Sent != 40 || c.Counts.Pending() != 40 {
		t.Fatalf("cancelled campaign = %s %+v, want 40 sent and 40 pending", c.Status, c.Counts)
	}
	if n := len(r.s.Twilio.Messages()); n != 0 {
		t.Errorf("%d SMS sent during quiet hours", n)
	}
	resp, _ = r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/cancel", id), nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("second cancel: %d, want 409", resp.StatusCode)
	}
}

// TestCampaignQuietHoursEnd: SMS held back by quiet hours go out when they end.
func TestCampaignQuietHoursEnd(t *testing.T) {
	r := newSendRig(t, func(cfg *config.Config) {
		cfg.Campaigns.QuietHours = config.QuietHours{From: config.ClockTime{Hour: 21}, To: config.ClockTime{Hour: 8}, Set: true}
	})
	// The activity's clock reads 07:59:59 when the campaign starts and runs on in real time.
	began, start := time.Now(), time.Date(2025, 6, 15, 7, 59, 59, 0, r.app.Config.Club.Location())
	r.s.Campaigns.Now = func() time.Time { return start.Add(time.Since(began)) }
	r.addMembers(t, 10, nil)
	id, inst := r.startCampaign(t, members.CampaignInput{Name: "Morning", Channels: []string{"sms"}, Message: "Good morning"})
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	if c.Counts.Sent != 10 || len(r.s.Twilio.Messages()) != 10 {
		t.Fatalf("counts = %+v, %d SMS", c.Counts, len(r.s.Twilio.Messages()))
	}
	if c.FinishedAt.Sub(began) < 900*time.Millisecond {
		t.Errorf("finished %v after the start, before the quiet hours ended", c.FinishedAt.Sub(began))
	}
	r.instance(t, inst, api.RUNTIME_STATUS_COMPLETED)
	for _, e := range readHistory(t, r.app.Hub, inst) {
		if so := e.GetSubOrchestrationInstanceCreated(); so != nil {
			saveGolden(t, r.app.Hub, api.InstanceID(so.GetInstanceId()), "campaign_batch_quiet_hours")
			break
		}
	}
}

// TestCampaignRetryFailed: "retry failed" is a campaign of its own to the recipients whose
// notice failed, with keys of its own; the others get nothing more.
func TestCampaignRetryFailed(t *testing.T) {
	r := newSendRig(t, nil)
	r.addMembers(t, 30, nil)
	for _, n := range []int{4, 11, 25} {
		r.s.SendGrid.FailNth(n, notifytest.Failure{Permanent: true})
	}
	id, _ := r.startCampaign(t, members.CampaignInput{Name: "Renewal", Channels: []string{"email"}, Subject: "Hi", Message: "Hello"})
	first := r.waitCampaign(t, id, members.CampaignCompleted)
	if first.Counts.Failed != 3 || first.Counts.Sent != 27 {
		t.Fatalf("first run = %+v, want 27 sent and 3 failed", first.Counts)
	}
	resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id), nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("retry-failed: %d %s", resp.StatusCode, body)
	}
	var out struct {
		CampaignID int64 `json:"campaign_id"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.CampaignID == id {
		t.Fatalf("retry answered %s", body)
	}
	retry := r.waitCampaign(t, out.CampaignID, members.CampaignCompleted)
	if retry.Counts != (members.CampaignCounts{Total: 3, Sent: 3}) || retry.ParentID == nil || *retry.ParentID != id {
		t.Fatalf("retry = %+v (parent %v)", retry.Counts, retry.ParentID)
	}
	if n := len(r.s.SendGrid.Messages()); n != 30 {
		t.Errorf("SendGrid accepted %d e-mails, want 30", n)
	}
	failed, _, err := r.app.Members.CampaignRecipients(context.Background(), id, members.RecipientQuery{Status: members.RecipientFailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failed {
		key := members.CampaignNoticeKey(out.CampaignID, f.MemberID, f.Channel)
		if n, err := r.app.Members.NoticeByKey(context.Background(), key); err != nil || n.Status != members.NoticeSent {
			t.Errorf("notice %s: %v, %v", key, n, err)
		}
	}
}
