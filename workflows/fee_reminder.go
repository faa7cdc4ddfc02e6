package workflows

import (
	"errors"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// FeeReminder reminds a member of one fee: an e-mail at once (the scheduler starts it on the
// due day), an SMS when fees.sms_after has passed without payment, and when fees.overdue_after
// has passed it marks the fee overdue, tells the admins and sends the member the overdue
// notice. FeePaid at any point — or a step that finds the fee paid — ends it "Paid".
//
// From version 1 on (see version.go), an SMS reminder that cannot go out — skipped for want of
// a number or consent, or refused for good — is sent by e-mail instead, once.
func FeeReminder(ctx *task.OrchestrationContext) (any, error) {
	var in FeeReminderInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	start := ctx.CurrentTimeUtc
	steps := []struct {
		channel string
		until   time.Time // how long to wait for the payment after the step
	}{
		{"email", start.Add(in.SMSAfter)},
		{"sms", start.Add(in.OverdueAfter)},
	}
	for i, s := range steps {
		res := remindStep(ctx, FeeReminderStep{FeeID: in.FeeID, Step: i + 1, Channel: s.channel})
		if res.FeeStatus == "paid" {
			return FeeReminderPaid, nil
		}
		st := FeeReminderStatus{Step: i + 1, Notice: res.Notice, WaitUntil: s.until}
		if in.Version >= 1 && s.channel == "sms" && (res.Notice == "skipped" || res.Notice == "failed") {
			res = remindStep(ctx, FeeReminderStep{FeeID: in.FeeID, Step: i + 1, Channel: "email"})
			if res.FeeStatus == "paid" {
				return FeeReminderPaid, nil
			}
			st.Notice, st.Fallback = res.Notice, "email"
		}
		if paid, err := waitForPayment(ctx, st); paid || err != nil {
			return FeeReminderPaid, err
		}
	}
	var status string
	if err := call(ctx, MarkFeeOverdueActivity, in.FeeID, &status); err != nil {
		return nil, err
	}
	if status == "paid" {
		return FeeReminderPaid, nil
	}
	if err := call(ctx, TellAdminsFeeOverdueActivity, in.FeeID, nil); err != nil {
		return nil, err
	}
	res := remindStep(ctx, FeeReminderStep{FeeID: in.FeeID, Step: 3, Channel: "email"})
	setStatus(ctx, FeeReminderStatus{Step: 3, Notice: res.Notice})
	return FeeReminderOverdue, nil
}

// remindStep sends one step. A send that still fails after its retries does not stop the
// reminder: the next step, and in the end the admins, still come; the status says it failed.
func remindStep(ctx *task.OrchestrationContext, step FeeReminderStep) FeeStepResult {
	var res FeeStepResult
	if err := call(ctx, SendFeeReminderActivity, step, &res); err != nil {
		return FeeStepResult{Notice: "failed", Reason: err.Error()}
	}
	return res
}

// waitForPayment waits for FeePaid until st.WaitUntil and reports whether it came.
func waitForPayment(ctx *task.OrchestrationContext, st FeeReminderStatus) (bool, error) {
	setStatus(ctx, st)
	err := ctx.WaitForSingleEvent(FeePaidEvent, max(st.WaitUntil.Sub(ctx.CurrentTimeUtc), 0)).Await(nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, task.ErrTaskCanceled):
		return false, nil
	}
	return false, err
}
