package activities

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/workflows"
)

// Campaigns holds the campaign workflows' side effects.
type Campaigns struct {
	Members *members.Store
	Notices *Notices
	// BatchSize is how many notices one batch sends (campaigns.batch_size).
	BatchSize int
	// QuietHours (in Location) hold SMS back.
	QuietHours config.QuietHours
	Location   *time.Location
	// Concurrency is how many sends one batch has in flight at once with a provider that
	// sends one message at a time; 0 means DefaultSendConcurrency.
	Concurrency int
	// BaseURL makes the link to the campaign in the approvers' e-mail.
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// NewCampaigns builds the campaign activities from the configuration.
func NewCampaigns(cfg *config.Config, store *members.Store, notices *Notices, log *slog.Logger) *Campaigns {
	return &Campaigns{
		Members: store, Notices: notices, BatchSize: cfg.Campaigns.BatchSize,
		QuietHours: cfg.Campaigns.QuietHours, Location: cfg.Club.Location(), BaseURL: cfg.Server.BaseURL, Log: log,
	}
}

// Register adds the campaign activities to r.
func (a *Campaigns) Register(r *task.TaskRegistry) error { return a.RegisterWith(r, nil) }

// RegisterWith is Register with each activity passed through wrap first (web.Metrics.Activity
// times them); a nil wrap registers them as they are.
func (a *Campaigns) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{workflows.SelectCampaignAudienceActivity, activity(a.selectAudience)},
		namedActivity{workflows.SendCampaignNoticesActivity, activity(a.sendBatch)},
		namedActivity{workflows.FailCampaignBatchActivity, activity(a.failBatch)},
		namedActivity{workflows.FinishCampaignActivity, activity(a.finish)},
		namedActivity{workflows.NoteCampaignWaitingActivity, activity(a.noteWaiting)},
		namedActivity{workflows.RequestCampaignApprovalActivity, activity(a.requestApproval)},
		namedActivity{workflows.TellCampaignApproversActivity, activity(a.tellApprovers)},
		namedActivity{workflows.EndUnapprovedCampaignActivity, activity(a.endUnapproved)},
		namedActivity{workflows.NoteCampaignMissedActivity, activity(a.noteMissed)},
	)
}

// selectAudience freezes the campaign's recipients once and answers their counts.
func (a *Campaigns) selectAudience(ctx context.Context, campaignID int64) (workflows.AudienceFrozen, error) {
	fr, err := a.Members.FreezeCampaignAudience(ctx, campaignID, max(a.BatchSize, 1))
	if errors.Is(err, members.ErrConflict) {
		c, gerr := a.Members.GetCampaign(ctx, campaignID)
		if gerr == nil && c.Status == members.CampaignCancelled {
			return workflows.AudienceFrozen{Cancelled: true}, nil
		}
	}
	if err != nil {
		return workflows.AudienceFrozen{}, err
	}
	return workflows.AudienceFrozen{AudienceSize: fr.AudienceSize, Counts: counts(fr.Counts), Batches: fr.Batches}, nil
}

// failBatch settles a batch whose retries ran out: its pending recipients failed.
func (a *Campaigns) failBatch(ctx context.Context, in workflows.CampaignBatchInput) (workflows.CampaignBatchResult, error) {
	if err := a.Members.FailCampaignBatch(ctx, in.CampaignID, in.Batch, in.Reason); err != nil {
		return workflows.CampaignBatchResult{}, err
	}
	c, err := a.Members.CampaignBatchCounts(ctx, in.CampaignID, in.Batch)
	return workflows.CampaignBatchResult{Counts: counts(c)}, err
}

// finish records how the campaign ended and answers its final counts.
func (a *Campaigns) finish(ctx context.Context, in workflows.FinishCampaignInput) (workflows.CampaignCounts, error) {
	status := members.CampaignCompleted
	if in.Error != "" {
		status = members.CampaignFailed
	}
	c, err := a.Members.FinishCampaign(ctx, in.CampaignID, status, in.Error)
	if err != nil {
		return workflows.CampaignCounts{}, err
	}
	loggerOr(a.Log).Info("campaign finished", slog.Int64("campaign_id", c.ID), slog.String("status", string(c.Status)),
		slog.Int("sent", c.Counts.Sent), slog.Int("failed", c.Counts.Failed), slog.Int("skipped", c.Counts.Skipped))
	return counts(c.Counts), nil
}

// counts are a store's counts as the workflows read them.
func counts(c members.CampaignCounts) workflows.CampaignCounts {
	return workflows.CampaignCounts(c)
}

// noteWaiting records on the campaign that its sends wait for the provider, or no longer do.
func (a *Campaigns) noteWaiting(ctx context.Context, in workflows.CampaignWaiting) (struct{}, error) {
	if !in.Until.IsZero() {
		loggerOr(a.Log).WarnContext(ctx, "campaign waits for its provider", slog.Int64("campaign_id", in.CampaignID),
			slog.Time("until", in.Until), slog.String("reason", in.Reason))
	}
	return struct{}{}, a.Members.NoteCampaignWaiting(ctx, in.CampaignID, in.Until, in.Reason)
}
