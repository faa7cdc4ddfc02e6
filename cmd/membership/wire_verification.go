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
	"membership/web"
	"membership/workflows"
)

// wireVerification builds the verification store (making the installation's verification key
// on first start) and registers PhoneVerification, EmailVerification and MemberOnboarding with
// their activities in r. The codes and links go out through notices.
func wireVerification(ctx context.Context, cfg *config.Config, gdb *gorm.DB, notices *activities.Notices, log *slog.Logger, r *task.TaskRegistry, metrics *web.Metrics) (*members.Verifications, error) {
	store := members.NewStore(gdb, membersOptions(cfg), log)
	verifs, err := members.NewVerifications(ctx, store, activities.VerificationOptions(cfg))
	if err != nil {
		return nil, err
	}
	a := &activities.Verification{Verifications: verifs, Members: store, Notices: notices, BaseURL: cfg.Server.BaseURL, Log: log}
	if err := errors.Join(workflows.RegisterVerification(r), a.RegisterWith(r, metrics.Activity)); err != nil {
		return nil, err
	}
	return verifs, nil
}
