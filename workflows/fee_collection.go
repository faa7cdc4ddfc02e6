package workflows

import (
	"strconv"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// FeeCollectionName is the orchestrator of a SEPA direct debit run.
const FeeCollectionName = "FeeCollection"

// Activity names of a collection run (activities.Collections registers them).
const (
	PlanCollectionActivity        = "PlanCollection"
	SelectCollectionFeesActivity  = "SelectCollectionFees"
	SendCollectionNoticesActivity = "SendCollectionNotices"
	BuildCollectionFileActivity   = "BuildCollectionFile"
	PlanCollectionSettleActivity  = "PlanCollectionSettle"
	SettleCollectionActivity      = "SettleCollection"
	FailCollectionActivity        = "FailCollection"
)

// FeeCollectionID is the instance id of a collection's run: one per collection.
func FeeCollectionID(collectionID int64) string {
	return "fee-collection:" + strconv.FormatInt(collectionID, 10)
}

// FeeCollectionInput is a run's input.
type FeeCollectionInput struct {
	CollectionID int64 `json:"collection_id"`
	// Version is the code path the run takes (FeeCollectionVersion when it started).
	Version int `json:"version,omitempty"`
}

// CollectionWait is how long a run waits for its next step, as an activity reckoned it from
// the club's settings and clock (the wait, not the time, goes to the orchestrator, as with
// the fee scheduler), and the instant it ends for the status.
type CollectionWait struct {
	Wait  time.Duration `json:"wait"`
	Until time.Time     `json:"until"`
	// CollectOn is the collection day (YYYY-MM-DD).
	CollectOn string `json:"collect_on"`
}

// CollectionTally counts a run's debits: the fees and their sum in cents, the
// pre-notifications, and where the debits stand.
type CollectionTally struct {
	Fees          int   `json:"fees"`
	Total         int64 `json:"amount_cents"`
	Notified      int   `json:"notified"`
	NoticeFailed  int   `json:"notice_failed"`
	NoticeSkipped int   `json:"notice_skipped"`
	Submitted     int   `json:"submitted"`
	Returned      int   `json:"returned"`
	Paid          int   `json:"paid"`
}

// CollectionNoticeBatch asks for the pre-notifications of the items after After.
type CollectionNoticeBatch struct {
	CollectionID int64 `json:"collection_id"`
	After        int64 `json:"after"`
}

// CollectionNoticeResult is what one batch of pre-notifications did; Last is the last item it
// handled, Done that none is left.
type CollectionNoticeResult struct {
	Sent    int   `json:"sent"`
	Failed  int   `json:"failed"`
	Skipped int   `json:"skipped"`
	Last    int64 `json:"last"`
	Done    bool  `json:"done"`
}

// FailCollectionInput records why a run stopped.
type FailCollectionInput struct {
	CollectionID int64  `json:"collection_id"`
	Error        string `json:"error"`
}

// Stages of a collection run, its custom status's "stage".
const (
	CollectionStagePlanned   = "planned"          // waiting for the pre-notification day
	CollectionStageNotifying = "notifying"        // telling the payers
	CollectionStageReturns   = "awaiting_returns" // file ready, waiting out the return days
	CollectionStageSettled   = "settled"
	CollectionStageEmpty     = "empty" // no fee to collect
	CollectionStageFailed    = "failed"
)

// FeeCollectionStatus is a run's custom status: its stage, counts, and until when it waits.
type FeeCollectionStatus struct {
	Stage     string    `json:"stage"`
	CollectOn string    `json:"collect_on,omitempty"`
	WaitUntil time.Time `json:"wait_until,omitzero"`
	// The counts sit at the top level, so the monitor shows each one labelled.
	CollectionTally
	Error string `json:"error,omitempty"`
}

// FeeCollection runs one SEPA direct debit collection: it waits durably for the day the
// payers must hear of the debit (the club's pre-notification days before the collection day),
// chooses the due fees with an active mandate once, e-mails every payer the pre-notification
// in batches (progress in the custom status), builds the pain.008 file for the bank — which
// submits the fees — and then waits out the club's return days before the fees without a
// return count as paid. Returns that arrive meanwhile are booked by the returns import, not
// here. Every step is an idempotent activity, so a crash at any point repeats at most a step.
func FeeCollection(ctx *task.OrchestrationContext) (any, error) {
	var in FeeCollectionInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	var plan CollectionWait
	if err := call(ctx, PlanCollectionActivity, in.CollectionID, &plan); err != nil {
		return failCollection(ctx, in, FeeCollectionStatus{}, err)
	}
	st := FeeCollectionStatus{Stage: CollectionStagePlanned, CollectOn: plan.CollectOn}
	if plan.Wait > 0 {
		st.WaitUntil = ctx.CurrentTimeUtc.Add(plan.Wait)
		setStatus(ctx, st)
		if err := ctx.CreateTimer(plan.Wait).Await(nil); err != nil {
			return nil, err
		}
	}
	st.Stage, st.WaitUntil = CollectionStageNotifying, time.Time{}
	if err := call(ctx, SelectCollectionFeesActivity, in.CollectionID, &st.CollectionTally); err != nil {
		return failCollection(ctx, in, st, err)
	}
	setStatus(ctx, st)
	for batch := (CollectionNoticeBatch{CollectionID: in.CollectionID}); ; {
		var res CollectionNoticeResult
		if err := call(ctx, SendCollectionNoticesActivity, batch, &res); err != nil {
			return failCollection(ctx, in, st, err)
		}
		st.CollectionTally.Notified += res.Sent
		st.CollectionTally.NoticeFailed += res.Failed
		st.CollectionTally.NoticeSkipped += res.Skipped
		setStatus(ctx, st)
		if res.Done {
			break
		}
		batch.After = res.Last
	}
	if err := call(ctx, BuildCollectionFileActivity, in.CollectionID, &st.CollectionTally); err != nil {
		return failCollection(ctx, in, st, err)
	}
	if st.CollectionTally.Fees == 0 {
		st.Stage = CollectionStageEmpty
		setStatus(ctx, st)
		return st.CollectionTally, nil
	}
	var settle CollectionWait
	if err := call(ctx, PlanCollectionSettleActivity, in.CollectionID, &settle); err != nil {
		return failCollection(ctx, in, st, err)
	}
	st.Stage, st.WaitUntil = CollectionStageReturns, ctx.CurrentTimeUtc.Add(max(settle.Wait, 0))
	setStatus(ctx, st)
	if settle.Wait > 0 {
		if err := ctx.CreateTimer(settle.Wait).Await(nil); err != nil {
			return nil, err
		}
	}
	if err := call(ctx, SettleCollectionActivity, in.CollectionID, &st.CollectionTally); err != nil {
		return failCollection(ctx, in, st, err)
	}
	st.Stage, st.WaitUntil = CollectionStageSettled, time.Time{}
	setStatus(ctx, st)
	return st.CollectionTally, nil
}

// failCollection records why the run stopped (its chosen fees are freed for a later run, a
// built file stays) and fails the instance with the cause, so the monitor shows it and an
// admin may restart it.
func failCollection(ctx *task.OrchestrationContext, in FeeCollectionInput, st FeeCollectionStatus, cause error) (any, error) {
	st.Stage, st.Error, st.WaitUntil = CollectionStageFailed, cause.Error(), time.Time{}
	setStatus(ctx, st)
	if err := call(ctx, FailCollectionActivity, FailCollectionInput{CollectionID: in.CollectionID, Error: cause.Error()}, nil); err != nil {
		return nil, err
	}
	return nil, cause
}

// RegisterCollections adds the collection run's orchestrator to r.
func RegisterCollections(r *task.TaskRegistry) error {
	return r.AddOrchestratorN(FeeCollectionName, FeeCollection)
}
