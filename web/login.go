package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"membership/web/auth"
	"membership/web/templates"
)

func (s *Server) loginForm(c echo.Context) error {
	return s.page(c, http.StatusOK, "Sign in", "", templates.Login(s.ctx(c, "Sign in", ""), "", "", safeNext(c.QueryParam("next"))))
}

func (s *Server) login(c echo.Context) error {
	email, next := c.FormValue("email"), safeNext(c.FormValue("next"))
	cookie, _, err := s.auth.Login(c.Request().Context(), email, c.FormValue("password"), c.RealIP())
	var msg string
	status := http.StatusUnauthorized
	switch {
	case err == nil:
		s.setCookie(c, sessionCookie, cookie, int(s.cfg.Auth.SessionMax.Std().Seconds()))
		return c.Redirect(http.StatusSeeOther, next)
	case errors.Is(err, auth.ErrThrottled):
		msg, status = "Too many failed sign-ins. Wait a few minutes, then try again.", http.StatusTooManyRequests
	case errors.Is(err, auth.ErrBadCredentials):
		msg = "Wrong e-mail or password."
	case errors.Is(err, auth.ErrDisabled):
		msg, status = "This account is disabled. Ask an admin of your club.", http.StatusForbidden
	default:
		return err
	}
	return s.page(c, status, "Sign in", "", templates.Login(s.ctx(c, "Sign in", ""), email, msg, next))
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.auth.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	return s.redirectWith(c, "/login", "ok", "You are signed out.")
}

// safeNext keeps the post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
