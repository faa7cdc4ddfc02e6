package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// verifyEmail confirms an e-mail address from the link in a verification e-mail. Following the
// link is entering the code it carries; the link works once, and opening it again says so.
func (s *Server) verifyEmail(c echo.Context) error {
	ctx := c.Request().Context()
	token, _ := url.PathUnescape(c.Param("token"))
	l, err := s.verifications.OpenEmailLink(token)
	if err != nil {
		return s.emailResult(c, http.StatusNotFound, false, "verify_email.invalid", "verify_email.invalid_text")
	}
	run, err := s.verifications.Get(ctx, l.InstanceID())
	if errors.Is(err, members.ErrNotFound) {
		return s.emailResult(c, http.StatusNotFound, false, "verify_email.invalid", "verify_email.gone_text")
	}
	if err != nil {
		return err
	}
	switch {
	case run.Status == members.VerificationVerified:
		return s.emailResult(c, http.StatusOK, true, "verify_email.already", "verify_email.already_text")
	case run.Running() && run.Challenge > l.Challenge:
		return s.emailResult(c, http.StatusGone, false, "verify_email.newer", "verify_email.newer_text")
	case !run.Running():
		return s.emailResult(c, http.StatusGone, false, "verify_email.expired", "verify_email.expired_text")
	}
	res, err := s.submitCode(ctx, run.InstanceID, l.Challenge, l.Code)
	if err != nil {
		return err
	}
	switch res.Result {
	case members.CodeVerified:
		return s.emailResult(c, http.StatusOK, true, "verify_email.confirmed", "verify_email.confirmed_text")
	case resultPending:
		return s.emailResult(c, http.StatusAccepted, true, "verify_email.confirming", "verify_email.confirming_text")
	}
	return s.emailResult(c, http.StatusGone, false, "verify_email.expired", "verify_email.expired_text")
}

// emailResult shows the outcome: title and text are message keys.
func (s *Server) emailResult(c echo.Context, status int, ok bool, title, text string) error {
	title, text = t(c, title), t(c, text)
	return s.page(c, status, title, "", templates.VerifyEmailResult(s.ctx(c, title, ""), ok, title, text))
}
