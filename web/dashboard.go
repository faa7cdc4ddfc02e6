package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/web/templates"
)

func (s *Server) dashboard(c echo.Context) error {
	v, err := s.dashboardView(c.Request().Context())
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Dashboard", "dashboard", templates.Dashboard(v))
}

// dashboardView gathers the figures of the landing page: members by status, overdue fees, the
// last year's membership, and the workflows running right now.
func (s *Server) dashboardView(ctx context.Context) (templates.DashboardView, error) {
	var v templates.DashboardView
	st, err := s.members.Stats(ctx)
	if err != nil {
		return v, fmt.Errorf("dashboard: %w", err)
	}
	v.Cards = []templates.Card{
		{Label: "Active members", Value: st.Active, Href: "/members?status=active", Tone: "ok"},
		{Label: "Pending", Value: st.Pending, Href: "/members?status=pending"},
		{Label: "Paused", Value: st.Paused, Href: "/members?status=paused"},
		{Label: "Overdue fees", Value: st.OverdueFees, Href: "/members?fee_overdue=true", Tone: "warn"},
	}
	months, err := s.members.MembersOverTime(ctx, 12)
	if err != nil {
		return v, fmt.Errorf("dashboard: %w", err)
	}
	v.ChartTitle = "Members over the last year"
	for _, m := range months {
		v.Chart = append(v.Chart, templates.ChartPoint{Label: m.Month[2:], Value: m.Active})
	}
	if s.hub == nil {
		return v, nil
	}
	insts, err := s.hub.Instances()
	if err != nil {
		return v, fmt.Errorf("dashboard: %w", err)
	}
	counts, err := insts.Counts(ctx)
	if err != nil {
		return v, fmt.Errorf("dashboard: %w", err)
	}
	for _, cnt := range counts {
		if cnt.Status == api.RUNTIME_STATUS_RUNNING || cnt.Status == api.RUNTIME_STATUS_PENDING {
			v.Workflows = append(v.Workflows, templates.Card{Label: cnt.Name + " running", Value: cnt.N, Href: "/workflows?runtimeStatus=Running&name=" + cnt.Name})
		}
	}
	return v, nil
}
