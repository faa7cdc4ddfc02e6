package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"membership/web/auth"
)

const (
	sessionCookie = "membership_session"
	csrfCookie    = "membership_csrf"
	principalKey  = "principal"
	sessionKey    = "session"
	csrfKey       = "csrf"
)

// requestLog writes one line per request; query strings are left out because they may carry
// search terms with personal data or a `code` token.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		} else if strings.HasPrefix(c.Path(), "/static") || c.Path() == "/healthz" || c.Path() == "/readyz" {
			level = slog.LevelDebug
		}
		s.log.Log(c.Request().Context(), level, "request",
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Duration("took", time.Since(start)),
			slog.String("ip", c.RealIP()))
		return nil
	}
}

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.log.Error("panic in handler", slog.String("path", c.Path()), slog.Any("error", err), slog.String("stack", string(stack)))
	return err
}

// securityHeaders: no inline script or style anywhere (everything is in /static), no framing.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// csrf checks a token on every state-changing browser request (or a same-origin Sec-Fetch-Site
// header, which a modern browser sends and a cross-site form cannot forge).
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		ContextKey:     csrfKey,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, t(c, "access.csrf"))
		},
	})
}

// requireUser lets a logged-in user through and sends everyone else to the login page.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err == nil {
			sess, err := s.auth.Session(c.Request().Context(), ck.Value)
			switch {
			case err == nil:
				c.Set(sessionKey, sess)
				p := sess.Principal()
				c.Set(principalKey, p)
				if p.Language != "" {
					s.speak(c, p.Language)
				}
				return next(c)
			case !errors.Is(err, auth.ErrSessionExpired) && !errors.Is(err, auth.ErrDisabled) && !errors.Is(err, auth.ErrNotFound):
				return err
			}
			s.clearCookie(c, sessionCookie)
		}
		if c.Request().Method != http.MethodGet {
			return echo.NewHTTPError(http.StatusUnauthorized, t(c, "access.session_ended"))
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

// requireAdmin keeps trainers (read-only) out of pages and actions that change things.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !principal(c).IsAdmin() {
			return echo.NewHTTPError(http.StatusForbidden, t(c, "access.admins_only"))
		}
		return next(c)
	}
}

// requireToken authenticates API calls by token: an Authorization Bearer header, Azure
// Functions' x-functions-key header, or its `code` query parameter.
func (s *Server) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if h := c.Request().Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			token = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
		} else if h := c.Request().Header.Get("x-functions-key"); h != "" {
			token = h
		} else {
			token = c.QueryParam("code")
		}
		if token == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="membership"`)
			return echo.NewHTTPError(http.StatusUnauthorized, t(c, "access.token_required"))
		}
		p, err := s.auth.Authenticate(c.Request().Context(), token)
		if errors.Is(err, auth.ErrBadCredentials) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="membership", error="invalid_token"`)
			return echo.NewHTTPError(http.StatusUnauthorized, t(c, "access.token_unknown"))
		}
		if err != nil {
			return err
		}
		c.Set(principalKey, *p)
		return next(c)
	}
}

// requireAdminToken keeps trainer tokens to reading.
func (s *Server) requireAdminToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !principal(c).IsAdmin() {
			return echo.NewHTTPError(http.StatusForbidden, t(c, "access.token_reads_only"))
		}
		return next(c)
	}
}

// principal is who makes the request (set by requireUser or requireToken).
func principal(c echo.Context) auth.Principal {
	p, _ := c.Get(principalKey).(auth.Principal)
	return p
}

func (s *Server) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(c echo.Context, name string) { s.setCookie(c, name, "", -1) }
