package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"membership/web/templates"
)

func (s *Server) dashboard(c echo.Context) error {
	return s.page(c, http.StatusOK, "Dashboard", "dashboard", templates.Dashboard(templates.DashboardView{}))
}
