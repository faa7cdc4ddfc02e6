package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/workflows"
)

// templateCollectionNotice is the pre-notification of a direct debit.
const templateCollectionNotice = "collection_notice"

// collectionNoticeBatch is how many pre-notifications one activity sends: the orchestrator
// records a step per batch, so 10,000 payers make 40 steps, and a crash repeats at most one.
const collectionNoticeBatch = 250

// CollectionNoticeKey is the notice key of a debit's pre-notification.
func CollectionNoticeKey(collectionID, feeID, memberID int64) string {
	return fmt.Sprintf("collection:%d:fee:%d:member:%d:email", collectionID, feeID, memberID)
}

// Collections holds the side effects of the FeeCollection workflow.
type Collections struct {
	Members *members.Store
	Notices *Notices
	// RunAt is the time of day (in Location) the pre-notifications go out and a run settles.
	RunAt    config.ClockTime
	Location *time.Location
	// Now is the clock; nil means time.Now. Tests move it to the pre-notification day.
	Now func() time.Time
	Log *slog.Logger
}

// NewCollections builds the collection activities from the configuration.
func NewCollections(cfg *config.Config, store *members.Store, notices *Notices, log *slog.Logger) *Collections {
	return &Collections{Members: store, Notices: notices, RunAt: cfg.Fees.RunAt, Location: cfg.Club.Location(), Log: log}
}

// Register adds the collection activities to r.
func (c *Collections) Register(r *task.TaskRegistry) error { return c.RegisterWith(r, nil) }

// RegisterWith is Register with each activity passed through wrap first; nil registers them as
// they are.
func (c *Collections) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{workflows.PlanCollectionActivity, activity(c.planNotices)},
		namedActivity{workflows.SelectCollectionFeesActivity, activity(c.selectFees)},
		namedActivity{workflows.SendCollectionNoticesActivity, activity(c.sendNotices)},
		namedActivity{workflows.BuildCollectionFileActivity, activity(c.buildFile)},
		namedActivity{workflows.PlanCollectionSettleActivity, activity(c.planSettle)},
		namedActivity{workflows.SettleCollectionActivity, activity(c.settle)},
		namedActivity{workflows.FailCollectionActivity, activity(c.fail)},
	)
}

// planNotices is how long until the pre-notifications go out: at RunAt on the day that lies
// the club's pre-notification days before the collection day (at once when that has passed).
func (c *Collections) planNotices(ctx context.Context, id int64) (workflows.CollectionWait, error) {
	return c.plan(ctx, id, func(set members.CollectionSettings) int { return -set.PrenotifyDays })
}

// planSettle is how long until the run settles: at RunAt, the club's return days after the
// collection day.
func (c *Collections) planSettle(ctx context.Context, id int64) (workflows.CollectionWait, error) {
	return c.plan(ctx, id, func(set members.CollectionSettings) int { return set.ReturnDays })
}

func (c *Collections) plan(ctx context.Context, id int64, offset func(members.CollectionSettings) int) (workflows.CollectionWait, error) {
	col, err := c.Members.GetCollection(ctx, id)
	if err != nil {
		return workflows.CollectionWait{}, err
	}
	set, err := c.Members.CollectionSettings(ctx)
	if err != nil {
		return workflows.CollectionWait{}, err
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	day := col.CollectOn.AddDays(offset(set)).Time(loc)
	at := time.Date(day.Year(), day.Month(), day.Day(), c.RunAt.Hour, c.RunAt.Minute, 0, 0, loc)
	now := clockOr(c.Now)
	return workflows.CollectionWait{Wait: max(at.Sub(now), 0), Until: at.UTC(), CollectOn: col.CollectOn.String()}, nil
}

func (c *Collections) selectFees(ctx context.Context, id int64) (workflows.CollectionTally, error) {
	n, err := c.Members.SelectCollectionFees(ctx, id)
	return tally(n), err
}

// sendNotices e-mails the pre-notifications of the next batch of a run's debits: amount,
// collection day, mandate reference and the club's creditor identifier, in the payer's
// language. The notice key makes a repeated batch send nothing twice.
func (c *Collections) sendNotices(ctx context.Context, in workflows.CollectionNoticeBatch) (workflows.CollectionNoticeResult, error) {
	col, err := c.Members.GetCollection(ctx, in.CollectionID)
	if err != nil {
		return workflows.CollectionNoticeResult{}, err
	}
	set, err := c.Members.CollectionSettings(ctx)
	if err != nil {
		return workflows.CollectionNoticeResult{}, err
	}
	rows, err := c.Members.CollectionItemsToNotify(ctx, in.CollectionID, in.After, collectionNoticeBatch)
	if err != nil {
		return workflows.CollectionNoticeResult{}, err
	}
	out := workflows.CollectionNoticeResult{Last: in.After, Done: len(rows) < collectionNoticeBatch}
	reqs := make([]NoticeRequest, len(rows))
	for i, r := range rows {
		reqs[i] = NoticeRequest{
			Key:      CollectionNoticeKey(col.ID, r.FeeID, r.MemberID),
			MemberID: r.MemberID, Channel: ChannelEmail, Purpose: PurposeReminder, Template: templateCollectionNotice, Guardian: true,
			Vars:   map[string]string{"reference": r.Reference, "creditor_id": set.CreditorID, "creditor": set.CreditorName, "iban": r.IBAN},
			Values: map[string]Value{"amount": Money(r.Amount, r.Currency), "collect_on": Day(col.CollectOn)},
		}
	}
	results, sendErr := c.Notices.sendBatch(ctx, reqs, DefaultSendConcurrency)
	settled := make(map[int64]string, len(results))
	for i, res := range results {
		if res.Status == "" {
			continue // a transient failure: the retry sends it
		}
		settled[rows[i].ID] = res.Status
		switch res.Status {
		case ResultSent:
			out.Sent++
		case ResultFailed:
			out.Failed++
		default:
			out.Skipped++
		}
	}
	if err := c.Members.SetItemNotices(ctx, settled); err != nil {
		return out, err
	}
	if sendErr != nil {
		return out, sendErr
	}
	if len(rows) > 0 {
		out.Last = rows[len(rows)-1].ID
	}
	return out, nil
}

func (c *Collections) buildFile(ctx context.Context, id int64) (workflows.CollectionTally, error) {
	n, err := c.Members.BuildCollectionFile(ctx, id)
	return tally(n), err
}

func (c *Collections) settle(ctx context.Context, id int64) (workflows.CollectionTally, error) {
	n, err := c.Members.SettleCollection(ctx, id)
	if err == nil {
		loggerOr(c.Log).Info("direct debit run settled", slog.Int64("collection", id), slog.Int("paid", n.Paid), slog.Int("returned", n.Returned))
	}
	return tally(n), err
}

func (c *Collections) fail(ctx context.Context, in workflows.FailCollectionInput) (struct{}, error) {
	return struct{}{}, c.Members.FailCollection(ctx, in.CollectionID, in.Error)
}

// tally is a run's counts as the workflow reports them.
func tally(n members.CollectionCounts) workflows.CollectionTally {
	return workflows.CollectionTally{Fees: n.Fees, Total: n.Total, Notified: n.Notified, NoticeFailed: n.Failed,
		NoticeSkipped: n.Skipped, Submitted: n.Submitted, Returned: n.Returned, Paid: n.Paid}
}
