// Package web serves membership over HTTP: the admin UI (templ pages, session login, CSRF), the
// JSON API under /api/v1, the durable management API and the webhooks. Handlers stay thin: they
// parse the request, make one call into the domain or the task hub, and render.
package web

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"membership/config"
	"membership/members"
	"membership/taskhub"
	"membership/web/auth"
	"membership/web/i18n"
)

//go:embed static
var static embed.FS

// Check is one dependency /readyz asks.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps are the parts the server talks to; cmd builds them.
type Deps struct {
	Config  *config.Config
	Log     *slog.Logger
	Auth    *auth.Store
	Members *members.Store
	Hub     *taskhub.Hub
	Ready   []Check
	// Orchestrators names the registered orchestrators, the only ones the durable management
	// API starts (taskhub.OrchestratorNames reads them from the task registry).
	Orchestrators []string
	// Metrics is what /metrics serves; nil gives the server a registry of its own.
	Metrics *Metrics
	// Verifications keeps phone and e-mail verification runs; nil leaves out the join pages
	// and the verification routes.
	Verifications *members.Verifications
	// Outbox lists what the outbox provider kept; nil (no provider is the outbox) leaves out
	// the outbox page and API.
	Outbox OutboxLister
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg     *config.Config
	log     *slog.Logger
	auth    *auth.Store
	members *members.Store
	hub     *taskhub.Hub
	ready   []Check
	secure  bool // base_url is https: cookies get the Secure flag
	// orchestrators and metrics: see Deps.
	orchestrators []string
	metrics       *Metrics
	verifications *members.Verifications
	outbox        OutboxLister
	i18n          *i18n.Catalog
	e             *echo.Echo
}

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{cfg: d.Config, log: d.Log, auth: d.Auth, members: d.Members, hub: d.Hub, ready: d.Ready,
		orchestrators: d.Orchestrators, metrics: d.Metrics, verifications: d.Verifications}
	s.outbox = d.Outbox
	cat, err := i18n.Load()
	if err != nil {
		panic(err) // the embedded message files are tested to load
	}
	s.i18n = cat
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if u, err := url.Parse(d.Config.Server.BaseURL); err == nil && u.Scheme == "https" {
		s.secure = true
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Take the peer address as it is: trusting X-Forwarded-For would let anyone dodge the
	// per-address login throttle. Behind a proxy, put it on loopback and extend this.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	s.e = e
	s.routes()
	return s
}

// Handler is the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.e }
