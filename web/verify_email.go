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
		return s.emailResult(c, http.StatusNotFound, false, "This link is not valid", "Check that you opened the whole link from the e-mail.")
	}
	run, err := s.verifications.Get(ctx, l.InstanceID())
	if errors.Is(err, members.ErrNotFound) {
		return s.emailResult(c, http.StatusNotFound, false, "This link is not valid", "The confirmation it belongs to no longer exists.")
	}
	if err != nil {
		return err
	}
	switch {
	case run.Status == members.VerificationVerified:
		return s.emailResult(c, http.StatusOK, true, "Already confirmed", "Your e-mail address is confirmed already; there is nothing more to do.")
	case run.Running() && run.Challenge > l.Challenge:
		return s.emailResult(c, http.StatusGone, false, "A newer link was sent", "This link was replaced by a newer one. Open the newest e-mail from us.")
	case !run.Running():
		return s.emailResult(c, http.StatusGone, false, "This link has expired", "Ask for a new link on the page where you joined, or ask the club.")
	}
	res, err := s.submitCode(ctx, run.InstanceID, l.Challenge, l.Code)
	if err != nil {
		return err
	}
	switch res.Result {
	case members.CodeVerified:
		return s.emailResult(c, http.StatusOK, true, "E-mail address confirmed", "Thank you: your e-mail address is confirmed.")
	case resultPending:
		return s.emailResult(c, http.StatusAccepted, true, "Confirming", "We are confirming your address; reload this page in a moment.")
	}
	return s.emailResult(c, http.StatusGone, false, "This link has expired", "Ask for a new link on the page where you joined, or ask the club.")
}

func (s *Server) emailResult(c echo.Context, status int, ok bool, title, text string) error {
	return s.page(c, status, title, "", templates.VerifyEmailResult(s.ctx(c, title, ""), ok, title, text))
}
