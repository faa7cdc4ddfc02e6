package workflows

import (
	"cmp"
	"errors"
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
		approvedLate := false
		if in.Version >= 1 {
			approved, waited, err := awaitApproval(ctx, in)
			if err != nil || !approved {
				return "not approved", err
			}
			approvedLate = waited && ctx.CurrentTimeUtc.After(in.StartAt)
		}
		if wait := in.StartAt.Sub(ctx.CurrentTimeUtc); wait > 0 {
			setStatus(ctx, CampaignStatus{State: "planned", StartAt: in.StartAt})
			if err := ctx.CreateTimer(wait).Await(nil); err != nil {
				return nil, err
			}
		}
		// A start missed while the server was down follows the campaign's policy; one that is
		// late only because its approval came after the planned time was sent on purpose.
		if in.Version >= 1 && !approvedLate && ctx.CurrentTimeUtc.Sub(in.StartAt) > cmp.Or(in.MissedGrace, missedGrace) {
			send, err := handleMissedStart(ctx, in)
			if err != nil || !send {
				return "skipped", err
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

// awaitApproval asks whether the campaign needs a second admin's approval and, if so, tells the
// approvers and waits for CampaignApproval until the deadline. It reports whether the campaign
// may go, and whether it waited for an approval; a rejected or expired one is ended here.
func awaitApproval(ctx *task.OrchestrationContext, in RenewalCampaignInput) (approved, waited bool, err error) {
	var ap CampaignApproval
	if err := call(ctx, RequestCampaignApprovalActivity, in.CampaignID, &ap); err != nil {
		_, ferr := finishCampaign(ctx, in, err)
		return false, false, ferr
	}
	if !ap.Needed || ap.State == "approved" {
		return true, false, nil
	}
	if ap.State == "awaiting" {
		setStatus(ctx, CampaignStatus{State: "awaiting_approval", StartAt: in.StartAt, ExpiresAt: ap.Deadline})
		if err := call(ctx, TellCampaignApproversActivity, in.CampaignID, nil); err != nil {
			_, ferr := finishCampaign(ctx, in, err)
			return false, true, ferr
		}
		var d CampaignDecision
		err := ctx.WaitForSingleEvent(CampaignApprovalEvent, max(ap.Deadline.Sub(ctx.CurrentTimeUtc), 0)).Await(&d)
		switch {
		case err == nil && d.Approve:
			return true, true, nil
		case err != nil && !errors.Is(err, task.ErrTaskCanceled):
			return false, true, err
		case err != nil:
			// The deadline passed without an event: an approval the database holds still counts
			// (its event may have been lost between the web process and the task hub).
			if err := call(ctx, RequestCampaignApprovalActivity, in.CampaignID, &ap); err != nil {
				return false, true, err
			}
			if ap.State == "approved" {
				return true, true, nil
			}
		}
	}
	if err := call(ctx, EndUnapprovedCampaignActivity, in.CampaignID, nil); err != nil {
		return false, true, err
	}
	setStatus(ctx, CampaignStatus{State: "not_approved", StartAt: in.StartAt})
	return false, true, nil
}

// handleMissedStart applies the campaign's missed-start policy: send late, skip, or hold for
// an admin's CampaignRelease. It reports whether the campaign sends.
func handleMissedStart(ctx *task.OrchestrationContext, in RenewalCampaignInput) (bool, error) {
	note := func(missed string) error {
		return call(ctx, NoteCampaignMissedActivity, CampaignMissed{CampaignID: in.CampaignID, Missed: missed}, nil)
	}
	switch in.MissedPolicy {
	case "skip":
		if err := note("skipped"); err != nil {
			return false, err
		}
		setStatus(ctx, CampaignStatus{State: "skipped", StartAt: in.StartAt})
		return false, nil
	case "hold":
		if err := note("held"); err != nil {
			return false, err
		}
		setStatus(ctx, CampaignStatus{State: "held", StartAt: in.StartAt})
		var d CampaignDecision
		if err := ctx.WaitForSingleEvent(CampaignReleaseEvent, -1).Await(&d); err != nil {
			return false, err
		}
		if !d.Approve {
			if err := note("skipped"); err != nil {
				return false, err
			}
			setStatus(ctx, CampaignStatus{State: "skipped", StartAt: in.StartAt})
			return false, nil
		}
	}
	return true, note("sent_late")
}
