package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every path the server answers. Browser pages sit behind a session and CSRF
// checks; the APIs behind bearer tokens; webhooks behind their providers' signatures.
func (s *Server) routes() {
	e := s.e
	// Recover sits inside the request log, so a panic is logged and answered like any error.
	e.Use(s.requestLog, s.securityHeaders, middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: s.logPanic}), s.language)

	staticFS, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	e.StaticFS("/static", staticFS)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	// Browser UI.
	ui := e.Group("", s.csrf())
	ui.GET("/login", s.loginForm)
	ui.POST("/login", s.login)

	user := ui.Group("", s.requireUser)
	user.POST("/logout", s.logout)
	user.GET("/", s.dashboard)
	user.GET("/settings/password", s.passwordForm)
	user.POST("/settings/password", s.passwordChange)
	user.POST("/settings/language", s.languageSet)

	admin := user.Group("", s.requireAdmin)
	admin.GET("/settings/users", s.usersList)
	admin.POST("/settings/users", s.userAdd)
	admin.POST("/settings/users/:id/disable", s.userDisable)
	admin.POST("/settings/users/:id/enable", s.userEnable)
	admin.POST("/settings/users/:id/reset-password", s.userResetPassword)
	admin.GET("/settings/tokens", s.tokensList)
	admin.POST("/settings/tokens", s.tokenCreate)
	admin.POST("/settings/tokens/:id/revoke", s.tokenRevoke)

	// JSON API.
	api := e.Group("/api/v1", s.requireToken)
	api.GET("/whoami", s.whoami)

	// Each area of the product adds its routes in a file of its own (routes_<area>.go), with
	// the groups above: user (any signed-in user), admin (admins), api (any token).
	groups := routeGroups{ui: ui, user: user, admin: admin, api: api, apiAdmin: api.Group("", s.requireAdminToken)}
	for _, add := range s.areaRoutes() {
		add(groups)
	}

	e.RouteNotFound("/*", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
}

// routeGroups are the route groups an area attaches its handlers to.
type routeGroups struct {
	ui       *echo.Group // browser, no login (public pages), CSRF checked
	user     *echo.Group // browser, any signed-in user
	admin    *echo.Group // browser, admins only
	api      *echo.Group // /api/v1, any token
	apiAdmin *echo.Group // /api/v1, admin tokens only
}

// areaRoutes lists the areas' route functions; the e (Echo) itself is s.e, for paths outside
// the groups (the durable management API, webhooks).
func (s *Server) areaRoutes() []func(routeGroups) {
	return []func(routeGroups){s.workflowRoutes, s.metricsRoutes, s.memberAPIRoutes, s.memberUIRoutes, s.notifyRoutes, s.verificationRoutes, s.routesCSV, s.campaignRoutes, s.collectionRoutes, s.attendanceRoutes, s.collectionPageRoutes, s.gradingRoutes, s.portalRoutes, s.erasureRoutes}
}
