package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/workflows"
)

// FeeNoticeKey is the notice key of reminder step of a fee to its member.
func FeeNoticeKey(feeID int64, step int, memberID int64, channel string) string {
	return fmt.Sprintf("fee:%d:step:%d:member:%d:%s", feeID, step, memberID, channel)
}

// Fees holds the fee workflows' side effects.
type Fees struct {
	Members *members.Store
	Notices *Notices
	// Client starts the reminders.
	Client backend.TaskHubClient
	// RunAt is the time of day (in Location) the scheduler runs; SMSAfter and OverdueAfter go
	// into each reminder's input when it starts.
	RunAt                  config.ClockTime
	Location               *time.Location
	SMSAfter, OverdueAfter time.Duration
	// BaseURL makes links to member pages in the admins' e-mail.
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// NewFees builds the fee activities from the configuration.
func NewFees(cfg *config.Config, store *members.Store, notices *Notices, client backend.TaskHubClient, log *slog.Logger) *Fees {
	return &Fees{
		Members: store, Notices: notices, Client: client,
		RunAt: cfg.Fees.RunAt, Location: cfg.Club.Location(),
		SMSAfter: cfg.Fees.SMSAfter.Std(), OverdueAfter: cfg.Fees.OverdueAfter.Std(),
		BaseURL: cfg.Server.BaseURL, Log: log,
	}
}

// Register adds the fee activities to r.
func (f *Fees) Register(r *task.TaskRegistry) error { return f.RegisterWith(r, nil) }

// RegisterWith is Register with each activity passed through wrap first (web.Metrics.Activity
// times them); a nil wrap registers them as they are.
func (f *Fees) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{workflows.PlanFeeRunActivity, activity(f.planRun)},
		namedActivity{workflows.CreateFeeRowsActivity, activity(f.createRows)},
		namedActivity{workflows.StartFeeRemindersActivity, activity(f.startReminders)},
		namedActivity{workflows.SendFeeReminderActivity, activity(f.sendStep)},
		namedActivity{workflows.MarkFeeOverdueActivity, activity(f.markOverdue)},
		namedActivity{workflows.TellAdminsFeeOverdueActivity, activity(f.tellAdmins)},
	)
}

// activity adapts a typed function to a task activity: it reads the input and hands over the
// context.
func activity[In, Out any](fn func(ctx context.Context, in In) (Out, error)) task.Activity {
	return func(ctx task.ActivityContext) (any, error) {
		var in In
		if err := ctx.GetInput(&in); err != nil {
			return nil, fmt.Errorf("read input: %w", err)
		}
		return fn(ctx.Context(), in)
	}
}

// clockOr reads now, or the system clock when now is nil.
func clockOr(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

// loggerOr is l, or a logger that discards when l is nil.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
