package main

import (
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

// wireErasure registers the ErasureRequest workflow with its activities in r. The erasure
// itself is the web server's, built after the workers start: serve hands it to the returned
// activities with SetEraser once it exists (until then a confirmed erasure waits for its retry).
func wireErasure(cfg *config.Config, gdb *gorm.DB, notices *activities.Notices, log *slog.Logger, r *task.TaskRegistry, metrics *web.Metrics) (*activities.Erasures, error) {
	erasures := activities.NewErasures(cfg, members.NewStore(gdb, membersOptions(cfg), log), notices, log)
	if err := errors.Join(workflows.RegisterErasures(r), erasures.RegisterWith(r, metrics.Activity)); err != nil {
		return nil, err
	}
	return erasures, nil
}
