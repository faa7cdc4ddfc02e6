package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/taskhub"
	"membership/workflows"
)

// planRun says when the scheduler runs next, given the club day of its last run ("" for
// none): today at RunAt if that has not come yet, at once if it has and today has not run (a
// server that was down at RunAt catches up), else tomorrow at RunAt. The wait, not the time,
// goes to the orchestrator: its timer is then right whatever clock the activity reads.
func (f *Fees) planRun(_ context.Context, lastRun string) (workflows.FeeRunPlan, error) {
	loc := f.Location
	if loc == nil {
		loc = time.UTC
	}
	now := clockOr(f.Now).In(loc)
	at := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), f.RunAt.Hour, f.RunAt.Minute, 0, 0, loc)
	}
	today := now.Format(time.DateOnly)
	next := at(now)
	switch {
	case lastRun >= today:
		next = at(now.AddDate(0, 0, 1))
	case !now.Before(next):
		next = now
	}
	return workflows.FeeRunPlan{Wait: next.Sub(now), AsOf: next.UTC(), Day: next.Format(time.DateOnly)}, nil
}

// createRows opens the fees of the period that contains asOf; it is idempotent.
func (f *Fees) createRows(ctx context.Context, asOf time.Time) (int, error) {
	return f.Members.CreateFeesForPeriod(ctx, asOf)
}

// startReminders starts a FeeReminder for every open fee due by asOf that has none yet, as an
// instance of its own (FeeReminderID), not a sub-orchestration: a reminder outlives the day of
// the scheduler that starts it, and a fee due for days is found again each day, which the
// fixed id turns into "already running". Fee ids stay out of the scheduler's history: it
// learns only the counts.
func (f *Fees) startReminders(ctx context.Context, asOf time.Time) (workflows.FeeRunResult, error) {
	due, err := f.Members.DueFees(ctx, asOf)
	if err != nil {
		return workflows.FeeRunResult{}, err
	}
	out := workflows.FeeRunResult{Due: len(due)}
	for _, fee := range due {
		started, err := taskhub.StartFixed(ctx, f.Client, workflows.FeeReminderName, api.InstanceID(workflows.FeeReminderID(fee.ID)),
			workflows.NewFeeReminderInput(fee.ID, f.SMSAfter, f.OverdueAfter))
		if err != nil {
			return out, fmt.Errorf("start reminder of fee %d: %w", fee.ID, err)
		}
		if started {
			out.Started++
		}
	}
	if out.Started > 0 {
		loggerOr(f.Log).Info("fee reminders started", slog.Int("due", out.Due), slog.Int("started", out.Started))
	}
	return out, nil
}
