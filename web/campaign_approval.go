package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	orchestrators "membership/workflows"
)

// decideCampaign records an admin's approval or rejection and tells the campaign's workflow.
// The database holds the decision first, so a lost event only delays the campaign until its
// deadline, where the workflow reads the decision itself.
func (s *Server) decideCampaign(ctx context.Context, actor string, id int64, approve bool, note string) (*members.Campaign, error) {
	c, err := s.members.DecideApproval(ctx, actor, id, approve, note)
	if err != nil {
		return nil, err
	}
	return c, s.tellCampaign(ctx, c, orchestrators.CampaignApprovalEvent, orchestrators.CampaignDecision{Approve: approve, By: actor})
}

// releaseCampaign records an admin's decision on a campaign held after a missed start (send
// now or skip) and tells its workflow.
func (s *Server) releaseCampaign(ctx context.Context, actor string, id int64, send bool) (*members.Campaign, error) {
	c, err := s.members.ReleaseHeld(ctx, actor, id, send)
	if err != nil {
		return nil, err
	}
	return c, s.tellCampaign(ctx, c, orchestrators.CampaignReleaseEvent, orchestrators.CampaignDecision{Approve: send, By: actor})
}

// tellCampaign raises an admin's decision on the campaign's workflow.
func (s *Server) tellCampaign(ctx context.Context, c *members.Campaign, event string, d orchestrators.CampaignDecision) error {
	if err := s.hub.Client().RaiseEvent(ctx, api.InstanceID(c.InstanceID), event, api.WithEventPayload(d)); err != nil {
		return fmt.Errorf("tell campaign %d %s: %w", c.ID, event, err)
	}
	return nil
}

// approvalRequest is the optional body of the approve and reject calls.
type approvalRequest struct {
	Note string `json:"note"`
}

func (s *Server) apiCampaignDecide(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		var in approvalRequest
		if c.Request().ContentLength != 0 {
			if err := decodeStrict(c, &in); err != nil {
				return err
			}
		}
		ctx := c.Request().Context()
		if _, err := s.decideCampaign(ctx, principal(c).Actor(), id, approve, in.Note); err != nil {
			return err
		}
		cp, err := s.members.GetCampaign(ctx, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, cp)
	}
}

func (s *Server) apiCampaignRelease(send bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		if _, err := s.releaseCampaign(ctx, principal(c).Actor(), id, send); err != nil {
			return err
		}
		cp, err := s.members.GetCampaign(ctx, id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, cp)
	}
}

func (s *Server) apiCampaignSettings(c echo.Context) error {
	set, err := s.members.CampaignSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (s *Server) apiCampaignSettingsPut(c echo.Context) error {
	var in members.CampaignSettings
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	set, err := s.members.SaveCampaignSettings(c.Request().Context(), principal(c).Actor(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

// campaignApprove and the three below are the campaign page's buttons.
func (s *Server) campaignApprove(c echo.Context) error {
	return s.campaignButton(c, "campaigns.flash.approved", func(ctx context.Context, actor string, id int64) error {
		_, err := s.decideCampaign(ctx, actor, id, true, c.FormValue("note"))
		return err
	})
}

func (s *Server) campaignReject(c echo.Context) error {
	return s.campaignButton(c, "campaigns.flash.rejected", func(ctx context.Context, actor string, id int64) error {
		_, err := s.decideCampaign(ctx, actor, id, false, c.FormValue("note"))
		return err
	})
}

func (s *Server) campaignSendNow(c echo.Context) error {
	return s.campaignButton(c, "campaigns.flash.released", func(ctx context.Context, actor string, id int64) error {
		_, err := s.releaseCampaign(ctx, actor, id, true)
		return err
	})
}

func (s *Server) campaignSkip(c echo.Context) error {
	return s.campaignButton(c, "campaigns.flash.skipped", func(ctx context.Context, actor string, id int64) error {
		_, err := s.releaseCampaign(ctx, actor, id, false)
		return err
	})
}

// campaignButton runs one of the page's decisions and goes back to the page with what came of
// it: done, refused because the campaign moved on (409), or refused to its own author (403).
func (s *Server) campaignButton(c echo.Context, done string, do func(ctx context.Context, actor string, id int64) error) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	err = do(c.Request().Context(), principal(c).Actor(), id)
	switch {
	case errors.Is(err, members.ErrOwnApproval):
		return s.redirectWith(c, campaignPath(id), "error", t(c, "campaigns.flash.own_approval"))
	case err != nil:
		return s.campaignActionFailed(c, id, "campaigns.flash.decision_refused", err)
	}
	return s.redirectWith(c, campaignPath(id), "ok", t(c, done))
}
