package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	orchestrators "membership/workflows"
)

// campaignRoutes: the campaign pages, the campaign API and marking fees paid through the API.
// Everyone signed in looks; admins plan, cancel and retry.
func (s *Server) campaignRoutes(g routeGroups) {
	g.user.GET("/campaigns", s.campaignsList)
	g.admin.GET("/campaigns/new", s.campaignNew)
	g.admin.POST("/campaigns", s.campaignCreate)
	g.user.GET("/campaigns/:id", s.campaignShow)
	g.user.GET("/campaigns/:id/progress", s.campaignProgress)
	g.user.GET("/campaigns/:id/report.csv", s.campaignReportCSV)
	g.admin.POST("/campaigns/:id/cancel", s.campaignCancel)
	g.admin.POST("/campaigns/:id/retry-failed", s.campaignRetry)
	g.admin.POST("/campaigns/approval-settings", s.campaignApprovalSettings)
	g.admin.POST("/campaigns/:id/approve", s.campaignApprove)
	g.admin.POST("/campaigns/:id/reject", s.campaignReject)
	g.admin.POST("/campaigns/:id/send-now", s.campaignSendNow)
	g.admin.POST("/campaigns/:id/skip", s.campaignSkip)

	g.api.GET("/campaigns", s.apiCampaignsList)
	g.api.GET("/campaigns/:id", s.apiCampaignGet)
	g.apiAdmin.POST("/campaigns", s.apiCampaignCreate)
	g.apiAdmin.POST("/campaigns/:id/cancel", s.apiCampaignCancel)
	g.apiAdmin.POST("/campaigns/:id/retry-failed", s.apiCampaignRetry)
	g.apiAdmin.POST("/campaigns/:id/approve", s.apiCampaignDecide(true))
	g.apiAdmin.POST("/campaigns/:id/reject", s.apiCampaignDecide(false))
	g.apiAdmin.POST("/campaigns/:id/send-now", s.apiCampaignRelease(true))
	g.apiAdmin.POST("/campaigns/:id/skip", s.apiCampaignRelease(false))
	g.apiAdmin.GET("/campaign-settings", s.apiCampaignSettings)
	g.apiAdmin.PUT("/campaign-settings", s.apiCampaignSettingsPut)
	g.apiAdmin.POST("/fees/:id/paid", s.apiFeePaid)
}

// startCampaign starts the workflow of a campaign just planned. When the task hub refuses, the
// campaign is marked failed, so it does not sit "planned" with nothing to run it.
func (s *Server) startCampaign(ctx context.Context, c *members.Campaign) error {
	_, err := s.hub.Client().ScheduleNewOrchestration(ctx, orchestrators.RenewalCampaignName,
		api.WithInstanceID(api.InstanceID(c.InstanceID)),
		api.WithInput(orchestrators.RenewalCampaignInput{CampaignID: c.ID, StartAt: c.StartAt,
			Version: orchestrators.RenewalCampaignVersion, MissedPolicy: c.MissedPolicy}))
	if err == nil {
		return nil
	}
	err = fmt.Errorf("start campaign %d: %w", c.ID, err)
	if _, ferr := s.members.FinishCampaign(context.WithoutCancel(ctx), c.ID, members.CampaignFailed, err.Error()); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return err
}

// cancelCampaign marks a campaign cancelled, then terminates its workflow with its batches.
// A batch in the middle of its sends notices the cancellation within a few sends and stops.
func (s *Server) cancelCampaign(ctx context.Context, actor string, id int64) (*members.Campaign, error) {
	c, err := s.members.CancelCampaign(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	err = s.hub.Client().TerminateOrchestration(ctx, api.InstanceID(c.InstanceID),
		api.WithOutput("cancelled by "+actor), api.WithRecursiveTerminate(true))
	if err != nil {
		// The campaign is cancelled in the database, which every batch checks: it stops all
		// the same, only later.
		s.log.Warn("terminate cancelled campaign", slog.Int64("campaign_id", id), slog.Any("error", err))
	}
	return c, nil
}

// retryCampaign plans and starts a follow-up campaign to the failed recipients of id.
func (s *Server) retryCampaign(ctx context.Context, actor string, id int64) (*members.Campaign, error) {
	c, err := s.members.CreateRetryCampaign(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return c, s.startCampaign(ctx, c)
}
