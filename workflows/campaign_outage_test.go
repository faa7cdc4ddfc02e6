package workflows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/notify/notifytest"
	"membership/taskhub"
	"membership/workflows"
)

// TestCampaignWaitsOutProviderOutage: SendGrid goes down in the middle of a 2,000-recipient
// campaign for longer than the send retries last. The batches wait for it — the campaign says
// "waiting for provider" with the provider's answer, and so do the batches' statuses in the
// monitor — try again a bounded number of times, and when the provider is back every
// recipient gets the e-mail exactly once: nobody lost, nobody failed, nobody twice.
func TestCampaignWaitsOutProviderOutage(t *testing.T) {
	const audience = 2000
	r := newSendRig(t, nil)
	r.app.Config.Campaigns.BatchSize = 100
	r.addMembers(t, audience, nil)
	ctx := context.Background()
	c, err := r.app.Members.CreateCampaign(ctx, "user:1", members.CampaignInput{Name: "Outage", Channels: []string{"email"},
		Subject: "Renew, {{.FirstName}}", Message: "Hello {{.FirstName}}, please renew."})
	if err != nil {
		t.Fatal(err)
	}
	// The provider goes down once a few hundred e-mails have gone.
	go func() {
		for len(r.s.SendGrid.Messages()) < 300 {
			time.Sleep(time.Millisecond)
		}
		r.s.SendGrid.Down(notifytest.Failure{Status: 503, Message: "service unavailable"})
	}()
	inst := api.InstanceID(c.InstanceID)
	if _, err := r.app.Hub.Client().ScheduleNewOrchestration(ctx, workflows.RenewalCampaignName, api.WithInstanceID(inst),
		api.WithInput(workflows.RenewalCampaignInput{CampaignID: c.ID, StartAt: c.StartAt, ProviderWait: 300 * time.Millisecond})); err != nil {
		t.Fatal(err)
	}

	within(t, 60*time.Second, "the campaign to say it waits for the provider", func() bool {
		got := r.campaign(t, c.ID)
		return got.WaitingUntil != nil && got.WaitingReason != ""
	})
	got := r.campaign(t, c.ID)
	attemptsAtWait := r.s.SendGrid.Attempts()
	waiting := waitingBatches(t, r, inst)
	if len(waiting) == 0 {
		t.Error("no batch says waiting_for_provider in its status")
	}
	t.Logf("waiting: %q until %s; %d batches waiting; %d attempts so far", got.WaitingReason, got.WaitingUntil, len(waiting), attemptsAtWait)
	// Down for a while longer: the batches keep waiting, with a bounded number of attempts.
	time.Sleep(2 * time.Second)
	// The bound follows from the design, not from the machine's speed: each of the campaign's
	// 20 batches makes rounds of three tries (1 s and 2 s apart), each try stopping after three
	// refusals in a row, and waits 300 ms, 600 ms, 1.2 s … between rounds: in 2 s at most two
	// rounds a batch, 20 × 2 × 3 × 3 = 360 attempts, however slow the machine; a tight loop
	// would make tens of thousands. Measured on 2 cores: 20 to 140.
	during := r.s.SendGrid.Attempts() - attemptsAtWait
	t.Logf("%d attempts in 2 s of outage", during)
	if batches := audience / r.app.Config.Campaigns.BatchSize; during > batches*2*3*3 {
		t.Errorf("%d attempts in 2 s of outage: the batches do not back off", during)
	}
	r.s.SendGrid.Up()

	done := r.waitCampaign(t, c.ID, members.CampaignCompleted)
	if done.Counts.Sent != audience || done.Counts.Failed != 0 || done.WaitingUntil != nil || done.WaitingReason != "" {
		t.Errorf("campaign = %+v (waiting %v %q), want all %d sent and no wait left", done.Counts, done.WaitingUntil, done.WaitingReason, audience)
	}
	seen := map[string]int{}
	for _, m := range r.s.SendGrid.Messages() {
		seen[m.To]++
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	if len(seen) != audience || dups != 0 {
		t.Errorf("provider accepted e-mails to %d recipients with %d duplicates; want %d and 0", len(seen), dups, audience)
	}
	if len(waiting) > 0 {
		saveGolden(t, r.app.Hub, waiting[0], "campaign_batch_v1_waited_for_provider")
	}
}

// waitingBatches lists the campaign's batches whose custom status says waiting_for_provider,
// as the monitor lists them.
func waitingBatches(t *testing.T, r *sendRig, inst api.InstanceID) []api.InstanceID {
	t.Helper()
	x, err := r.app.Hub.Instances()
	if err != nil {
		t.Fatal(err)
	}
	page, err := x.List(context.Background(), taskhub.Query{IDPrefix: string(inst) + ":batch:", Name: workflows.CampaignBatchName, Top: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ids []api.InstanceID
	for _, b := range page.Instances {
		var st workflows.CampaignStatus
		if json.Unmarshal([]byte(b.CustomStatus), &st) == nil && st.State == "waiting_for_provider" && !st.RetryAt.IsZero() && st.Reason != "" {
			ids = append(ids, b.ID)
		}
	}
	return ids
}
