package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/web/templates"
)

func (s *Server) dashboard(c echo.Context) error {
	v, err := s.dashboardView(c.Request().Context())
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, t(c, "dashboard.title"), "dashboard", templates.Dashboard(v))
}

// dashboardView gathers the figures of the landing page: members by status, overdue fees, the
// last year's membership, and the workflows running right now. The view holds figures and
// names; the template words them in the reader's language.
func (s *Server) dashboardView(ctx context.Context) (templates.DashboardView, error) {
	var v templates.DashboardView
	st, err := s.members.Stats(ctx)
	if err != nil {
		return v, fmt.Errorf("dashboard: %w", err)
	}
	v.Cards = []templates.Card{
		{Label: "dashboard.card.active", Value: st.Active, Href: "/members?status=active", Tone: "ok"},
		{Label: "dashboard.card.pending", Value: st.Pending, Href: "/members?status=pending"},
		{Label: "dashboard.card.paused", Value: st.Paused, Href: "/members?status=paused"},
		{Label: "dashboard.card.overdue_fees", Value: st.OverdueFees, Href: "/members?fee_overdue=true", Tone: "warn"},
	}
	months, err := s.members.MembersOverTime(ctx, 12)
	if err != nil {
		return v, fmt.Errorf("dashboard: %w", err)
	}
	for _, m := range months {
		v.Chart = append(v.Chart, templates.ChartPoint{Month: m.End.Time(time.UTC), Value: m.Active})
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
			v.Workflows = append(v.Workflows, templates.WorkflowCard{Name: cnt.Name, Value: cnt.N, Href: "/workflows?runtimeStatus=Running&name=" + cnt.Name})
		}
	}
	return v, nil
}
