package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
)

func (s *Server) apiCampaignsList(c echo.Context) error {
	page, perPage, err := pageParams(c, 50)
	if err != nil {
		return err
	}
	items, total, err := s.members.ListCampaigns(c.Request().Context(), page, perPage)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[members.Campaign]{Items: items, Page: page, PerPage: perPage, Total: total})
}

func (s *Server) apiCampaignGet(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cp, err := s.members.GetCampaign(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

// apiCampaignCreate plans a campaign and starts its workflow: 202 with the workflow's
// management payload and the campaign's id.
func (s *Server) apiCampaignCreate(c echo.Context) error {
	var in members.CampaignInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cp, err := s.members.CreateCampaign(ctx, principal(c).Actor(), in)
	if err != nil {
		return err
	}
	if err := s.startCampaign(ctx, cp); err != nil {
		return err
	}
	return s.accepted(c, api.InstanceID(cp.InstanceID), map[string]any{"campaign_id": cp.ID})
}

func (s *Server) apiCampaignCancel(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cp, err := s.cancelCampaign(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

// apiCampaignRetry starts a follow-up campaign to the failed recipients: 202 like any start,
// with the new campaign's id.
func (s *Server) apiCampaignRetry(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cp, err := s.retryCampaign(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return s.accepted(c, api.InstanceID(cp.InstanceID), map[string]any{"campaign_id": cp.ID})
}
