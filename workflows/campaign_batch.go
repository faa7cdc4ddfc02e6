package workflows

import (
	"github.com/microsoft/durabletask-go/task"
)

// CampaignBatch sends one batch of a campaign in one activity (SendCampaignNotices: a few
// dozen sends at once inside it cost one task-hub round trip instead of one each), retrying
// what failed transiently with the send retry policy. In quiet hours its SMS wait on a
// durable timer and go when the hours end. When the retries run out, the batch's remaining
// recipients are settled as failed with the reason: a batch always ends with every recipient
// settled, and the campaign goes on.
func CampaignBatch(ctx *task.OrchestrationContext) (any, error) {
	var in CampaignBatchInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	for {
		var res CampaignBatchResult
		err := ctx.CallActivity(SendCampaignNoticesActivity, task.WithActivityInput(in),
			task.WithActivityRetryPolicy(SendRetryPolicy())).Await(&res)
		if err != nil {
			in.Reason = "gave up after retries: " + err.Error()
			if err := call(ctx, FailCampaignBatchActivity, in, &res); err != nil {
				return nil, err
			}
			return res, nil
		}
		if res.QuietFor <= 0 {
			return res, nil
		}
		setStatus(ctx, CampaignStatus{State: "quiet", CampaignCounts: res.Counts})
		if err := ctx.CreateTimer(res.QuietFor).Await(nil); err != nil {
			return nil, err
		}
	}
}
