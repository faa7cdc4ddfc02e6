package workflows

import (
	"fmt"
	"strconv"

	"github.com/microsoft/durabletask-go/task"
)

// RenewalCampaign sends a campaign: it waits for the planned start (a durable timer, so the
// plan survives restarts), freezes the audience once, then sends its batches as CampaignBatch
// sub-orchestrations, campaignWindow at a time, summing their counts into the custom status.
// Every campaignGeneration batches it continues as new, which keeps its history bounded for
// any audience. It ends by recording the final counts (FinishCampaign): "completed", or
// "failed" when a step failed for good. Cancelling terminates it with its batches.
func RenewalCampaign(ctx *task.OrchestrationContext) (any, error) {
	var in RenewalCampaignInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	if in.Run == "" {
		if wait := in.StartAt.Sub(ctx.CurrentTimeUtc); wait > 0 {
			setStatus(ctx, CampaignStatus{State: "planned", StartAt: in.StartAt})
			if err := ctx.CreateTimer(wait).Await(nil); err != nil {
				return nil, err
			}
		}
		var fr AudienceFrozen
		if err := call(ctx, SelectCampaignAudienceActivity, in.CampaignID, &fr); err != nil {
			return finishCampaign(ctx, in, err)
		}
		if fr.Cancelled {
			setStatus(ctx, CampaignStatus{State: "cancelled"})
			return "cancelled", nil
		}
		in.Run = strconv.FormatInt(ctx.CurrentTimeUtc.UnixMilli(), 36)
		in.Batches, in.Next, in.Counts = fr.Batches, 1, fr.Counts
	}
	status := CampaignStatus{State: "running", CampaignCounts: in.Counts, Batches: in.Batches, Done: in.Next - 1}
	setStatus(ctx, status)
	end := min(in.Next+campaignGeneration, in.Batches+1)
	// Schedule a window of batches, then await them in order, scheduling the next as each one
	// completes: in order, so that a replay schedules exactly the same tasks.
	var inflight []task.Task
	next := in.Next
	for next < end || len(inflight) > 0 {
		for ; next < end && len(inflight) < campaignWindow; next++ {
			inflight = append(inflight, ctx.CallSubOrchestrator(CampaignBatchName,
				task.WithSubOrchestratorInput(CampaignBatchInput{CampaignID: in.CampaignID, Batch: next,
					Version: CampaignBatchVersion, ProviderWait: in.ProviderWait}),
				task.WithSubOrchestrationInstanceID(fmt.Sprintf("%s:batch:%d:%s", ctx.ID, next, in.Run))))
		}
		var res CampaignBatchResult
		if err := inflight[0].Await(&res); err != nil {
			return finishCampaign(ctx, in, err)
		}
		inflight = inflight[1:]
		in.Counts = in.Counts.Add(CampaignCounts{Sent: res.Counts.Sent, Failed: res.Counts.Failed, Skipped: res.Counts.Skipped})
		status.CampaignCounts, status.Done = in.Counts, status.Done+1
		setStatus(ctx, status)
	}
	if end <= in.Batches {
		in.Next = end
		ctx.ContinueAsNew(in)
		return nil, nil
	}
	return finishCampaign(ctx, in, nil)
}

// finishCampaign records the end of the campaign — failed with cause, or completed — and
// answers its final counts.
func finishCampaign(ctx *task.OrchestrationContext, in RenewalCampaignInput, cause error) (any, error) {
	fin := FinishCampaignInput{CampaignID: in.CampaignID}
	state := "completed"
	if cause != nil {
		fin.Error, state = cause.Error(), "failed"
	}
	counts := in.Counts
	if err := call(ctx, FinishCampaignActivity, fin, &counts); err != nil {
		return nil, err
	}
	setStatus(ctx, CampaignStatus{State: state, CampaignCounts: counts, Batches: in.Batches, Done: in.Batches})
	if cause != nil {
		return nil, cause
	}
	return counts, nil
}
