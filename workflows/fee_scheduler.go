package workflows

import (
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// feeRetryAfter is how long the scheduler waits before it tries a failed run again (its
// activities' own retries having run out: the database was away for minutes).
const feeRetryAfter = time.Hour

// FeeScheduler runs once a day at fees.run_at in the club's time zone: it opens the new
// period's fees, then starts a FeeReminder for every fee due (an instance of its own per fee,
// started by the activity: a reminder lives for weeks, far longer than one day of the
// scheduler, and a fee already reminded is never reminded again). It runs forever as the one
// instance FeeSchedulerID, continuing as new after each run so its history holds one day.
//
// When the next run is, the PlanFeeRun activity decides: the configuration may change between
// runs, and the orchestrator only replays what the activity answered.
func FeeScheduler(ctx *task.OrchestrationContext) (any, error) {
	var in FeeSchedulerInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	var plan FeeRunPlan
	if err := call(ctx, PlanFeeRunActivity, in.LastRun, &plan); err != nil {
		return retryFeeRun(ctx, in, err)
	}
	setStatus(ctx, FeeSchedulerStatus{LastRun: in.LastRun, LastResult: in.LastResult, NextRun: plan.AsOf})
	if plan.Wait > 0 {
		if err := ctx.CreateTimer(plan.Wait).Await(nil); err != nil {
			return nil, err
		}
	}
	var res FeeRunResult
	if err := call(ctx, CreateFeeRowsActivity, plan.AsOf, &res.Created); err != nil {
		return retryFeeRun(ctx, in, err)
	}
	var started FeeRunResult
	if err := call(ctx, StartFeeRemindersActivity, plan.AsOf, &started); err != nil {
		return retryFeeRun(ctx, in, err)
	}
	res.Due, res.Started = started.Due, started.Started
	ctx.ContinueAsNew(FeeSchedulerInput{LastRun: plan.Day, LastResult: res})
	return res, nil
}

// retryFeeRun waits and starts the day over; both steps of a run are idempotent.
func retryFeeRun(ctx *task.OrchestrationContext, in FeeSchedulerInput, cause error) (any, error) {
	setStatus(ctx, FeeSchedulerStatus{LastRun: in.LastRun, LastResult: in.LastResult,
		NextRun: ctx.CurrentTimeUtc.Add(feeRetryAfter), Error: cause.Error()})
	if err := ctx.CreateTimer(feeRetryAfter).Await(nil); err != nil {
		return nil, err
	}
	ctx.ContinueAsNew(in)
	return nil, nil
}
