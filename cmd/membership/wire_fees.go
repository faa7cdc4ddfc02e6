package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/microsoft/durabletask-go/task"
	"gorm.io/gorm"

	"membership/activities"
	"membership/config"
	"membership/members"
	"membership/taskhub"
	"membership/web"
	"membership/workflows"
)

// wireFees registers FeeScheduler, FeeReminder, FeeCollection, GradingInvitation, RenewalCampaign and CampaignBatch with their
// activities in r (the sends go out through notices), and starts the one FeeScheduler: it waits
// in the task hub until the workers run. An instance already there — running since an earlier
// start — is kept; a failed or terminated one is replaced.
func wireFees(ctx context.Context, cfg *config.Config, gdb *gorm.DB, notices *activities.Notices, hub *taskhub.Hub, log *slog.Logger, r *task.TaskRegistry, metrics *web.Metrics) error {
	store := members.NewStore(gdb, membersOptions(cfg), log)
	fees := activities.NewFees(cfg, store, notices, hub.Client(), log)
	campaigns := activities.NewCampaigns(cfg, store, notices, log)
	collections := activities.NewCollections(cfg, store, notices, log)
	gradings := activities.NewGradings(cfg, store, notices, log)
	err := errors.Join(workflows.RegisterFees(r), workflows.RegisterCampaigns(r), workflows.RegisterCollections(r), workflows.RegisterGradings(r),
		fees.RegisterWith(r, metrics.Activity), campaigns.RegisterWith(r, metrics.Activity), collections.RegisterWith(r, metrics.Activity),
		gradings.RegisterWith(r, metrics.Activity))
	if err != nil {
		return err
	}
	started, err := taskhub.StartFixed(ctx, hub.Client(), workflows.FeeSchedulerName, workflows.FeeSchedulerID, workflows.FeeSchedulerInput{})
	if err != nil {
		return err
	}
	if started {
		log.Info("fee scheduler started", slog.String("run_at", cfg.Fees.RunAt.String()), slog.String("time_zone", cfg.Club.TimeZone))
	}
	return nil
}
