package workflows

import (
	"cmp"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// CampaignBatch sends one batch of a campaign in one activity (SendCampaignNotices: a few
// dozen sends at once inside it cost one task-hub round trip instead of one each), retrying
// what failed transiently with the send retry policy. In quiet hours its SMS wait on a
// durable timer and go when the hours end. A batch always ends with every recipient settled,
// and the campaign goes on.
//
// When the retries run out, version 0 settles the batch's remaining recipients as failed with
// the reason. From version 1 on (see version.go) the batch first waits for the provider —
// durable timers, growing from in.ProviderWait to maxProviderWait, "waiting_for_provider" in
// its status and on the campaign's page — and tries again; only after providerPatience does it
// give up. The sends are idempotent, so nothing goes twice however often it tries.
func CampaignBatch(ctx *task.OrchestrationContext) (any, error) {
	var in CampaignBatchInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	wait := cmp.Or(in.ProviderWait, DefaultProviderWait)
	var waited time.Duration
	var last CampaignCounts
	retry := SendRetryPolicy()
	if in.Version >= 1 {
		retry = providerRetryPolicy()
	}
	for {
		var res CampaignBatchResult
		err := ctx.CallActivity(SendCampaignNoticesActivity, task.WithActivityInput(in),
			task.WithActivityRetryPolicy(retry)).Await(&res)
		if err != nil && in.Version >= 1 && waited < providerPatience {
			until := ctx.CurrentTimeUtc.Add(wait)
			setStatus(ctx, CampaignStatus{State: "waiting_for_provider", Reason: err.Error(), RetryAt: until, CampaignCounts: last})
			if err := call(ctx, NoteCampaignWaitingActivity, CampaignWaiting{CampaignID: in.CampaignID, Until: until, Reason: err.Error()}, nil); err != nil {
				return nil, err
			}
			if err := ctx.CreateTimer(wait).Await(nil); err != nil {
				return nil, err
			}
			waited += wait
			wait = min(wait*2, maxProviderWait)
			continue
		}
		if err != nil {
			in.Reason = "gave up after retries: " + err.Error()
			if err := call(ctx, FailCampaignBatchActivity, in, &res); err != nil {
				return nil, err
			}
			return res, nil
		}
		if waited > 0 {
			// The provider answers again: neither the batch nor the campaign's page says it waits.
			setStatus(ctx, CampaignStatus{State: "running", CampaignCounts: res.Counts})
			if err := call(ctx, NoteCampaignWaitingActivity, CampaignWaiting{CampaignID: in.CampaignID}, nil); err != nil {
				return nil, err
			}
			// A later outage starts over with the first, short wait.
			waited, wait = 0, cmp.Or(in.ProviderWait, DefaultProviderWait)
		}
		if res.QuietFor <= 0 {
			return res, nil
		}
		last = res.Counts
		setStatus(ctx, CampaignStatus{State: "quiet", CampaignCounts: res.Counts, QuietUntil: ctx.CurrentTimeUtc.Add(res.QuietFor)})
		if err := ctx.CreateTimer(res.QuietFor).Await(nil); err != nil {
			return nil, err
		}
	}
}
