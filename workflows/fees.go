package workflows

import (
	"errors"
	"strconv"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// Orchestrator names and the fixed instance id of the fee area.
const (
	FeeSchedulerName = "FeeScheduler"
	FeeReminderName  = "FeeReminder"
	// FeeSchedulerID is the one scheduler instance, started with every serve.
	FeeSchedulerID = "fee-scheduler"
)

// Activity names of the fee area (activities.Fees registers them).
const (
	PlanFeeRunActivity           = "PlanFeeRun"
	CreateFeeRowsActivity        = "CreateFeeRows"
	StartFeeRemindersActivity    = "StartFeeReminders"
	SendFeeReminderActivity      = "SendFeeReminder"
	MarkFeeOverdueActivity       = "MarkFeeOverdue"
	TellAdminsFeeOverdueActivity = "TellAdminsFeeOverdue"
)

// FeePaidEvent tells a FeeReminder that its fee is paid (POST /api/v1/fees/{id}/paid raises it).
const FeePaidEvent = "FeePaid"

// Outcomes of a FeeReminder, its output.
const (
	FeeReminderPaid    = "Paid"
	FeeReminderOverdue = "Overdue"
)

// FeeReminderID is the instance id of a fee's FeeReminder: one per fee, so the scheduler may
// start it every day and it runs once.
func FeeReminderID(feeID int64) string { return "fee-reminder:" + strconv.FormatInt(feeID, 10) }

// FeeSchedulerInput is the scheduler's state from one day to the next: the club day (YYYY-MM-DD)
// of its last run ("" before the first) and what that run did.
type FeeSchedulerInput struct {
	LastRun    string       `json:"last_run,omitempty"`
	LastResult FeeRunResult `json:"last_result"`
}

// FeeRunPlan is when the scheduler's next run is: after Wait, for the club day Day; AsOf is
// the moment the run counts as (fees are created for the period that contains it).
type FeeRunPlan struct {
	Wait time.Duration `json:"wait"`
	AsOf time.Time     `json:"as_of"`
	Day  string        `json:"day"`
}

// FeeRunResult is what one scheduler run did.
type FeeRunResult struct {
	Created int `json:"created"`
	Due     int `json:"due"`
	Started int `json:"started"`
}

// FeeSchedulerStatus is the scheduler's custom status: its last run, the next, and the error
// that made it try again later.
type FeeSchedulerStatus struct {
	LastRun    string       `json:"last_run,omitempty"`
	LastResult FeeRunResult `json:"last_result"`
	NextRun    time.Time    `json:"next_run,omitzero"`
	Error      string       `json:"error,omitempty"`
}

// FeeReminderInput is a FeeReminder's input: the fee, and the intervals after its start at
// which the SMS goes out and the fee counts as overdue (fees.sms_after, fees.overdue_after,
// fixed when the reminder starts).
type FeeReminderInput struct {
	FeeID        int64         `json:"fee_id"`
	SMSAfter     time.Duration `json:"sms_after"`
	OverdueAfter time.Duration `json:"overdue_after"`
	// Version is the code path the reminder runs (FeeReminderVersion when it started; see
	// version.go).
	Version int `json:"version,omitempty"`
}

// FeeReminderStep is one message of a fee's reminder: step 1 e-mail, step 2 SMS, step 3 the
// overdue notice by e-mail.
type FeeReminderStep struct {
	FeeID   int64  `json:"fee_id"`
	Step    int    `json:"step"`
	Channel string `json:"channel"`
}

// FeeStepResult is a step's outcome: the fee's status when it ran (a paid fee sends nothing)
// and what became of the notice ("sent", "failed", "skipped", or "" when none was sent).
type FeeStepResult struct {
	FeeStatus string `json:"fee_status"`
	Notice    string `json:"notice,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// FeeReminderStatus is a FeeReminder's custom status.
type FeeReminderStatus struct {
	Step      int       `json:"step"`
	Notice    string    `json:"notice,omitempty"`
	WaitUntil time.Time `json:"wait_until,omitzero"`
	// Fallback is the channel that served a step instead of its own ("email" when the SMS could
	// not go out; version 1 on).
	Fallback string `json:"fallback,omitempty"`
}

// RegisterFees adds the fee area's orchestrators to r.
func RegisterFees(r *task.TaskRegistry) error {
	return errors.Join(
		r.AddOrchestratorN(FeeSchedulerName, FeeScheduler),
		r.AddOrchestratorN(FeeReminderName, FeeReminder),
	)
}

// FeeReturnReminderID is the instance id of the reminder a returned direct debit starts for
// its fee: one per returned debit, apart from the fee's own FeeReminderID, which may have run
// before the fee was collected.
func FeeReturnReminderID(feeID, itemID int64) string {
	return FeeReminderID(feeID) + ":return:" + strconv.FormatInt(itemID, 10)
}

// NewFeeReminderInput is the input of a fee's reminder as it starts now: the intervals of
// fees.sms_after and fees.overdue_after, and the current version.
func NewFeeReminderInput(feeID int64, smsAfter, overdueAfter time.Duration) FeeReminderInput {
	return FeeReminderInput{FeeID: feeID, SMSAfter: smsAfter, OverdueAfter: overdueAfter, Version: FeeReminderVersion}
}
