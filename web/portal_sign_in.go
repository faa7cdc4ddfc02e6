package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// signInFloor is the least time the sign-in form takes to answer. Finding a member and starting
// their sign-in takes longer than finding nobody; answering every request after the same floor
// keeps that difference from telling who is a member.
const signInFloor = 400 * time.Millisecond

// portalSignInForm asks for an e-mail address or a mobile number.
func (s *Server) portalSignInForm(c echo.Context) error {
	return s.portalPage(c, http.StatusOK, t(c, "portal.sign_in.title"), templates.PortalSignIn(s.ctx(c, "", ""), templates.PortalSignInForm{}))
}

// portalSignIn takes the address. Whether or not a record has it, the answer is the same page
// ("if it is ours, a message is on its way") after the same time; only a known address starts a
// MemberSignIn, whose code goes to the address typed.
func (s *Server) portalSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	start := time.Now()
	typed := strings.TrimSpace(c.FormValue("address"))
	f := templates.PortalSignInForm{Address: typed}
	kind := members.SignInKind(typed)
	address, err := s.members.NormalizeContact("address", kind, typed)
	if err != nil {
		if f.Errors = fieldErrors(loc(c), err); f.Errors == nil {
			return err
		}
		return s.portalPage(c, http.StatusUnprocessableEntity, t(c, "portal.sign_in.title"), templates.PortalSignIn(s.ctx(c, "", ""), f))
	}
	if err := s.verifications.AllowRequest(ctx, c.RealIP()); errors.Is(err, members.ErrTooManyRequests) {
		f.Errors = templates.FieldErrors{"address": t(c, "portal.sign_in.too_many")}
		return s.portalPage(c, http.StatusTooManyRequests, t(c, "portal.sign_in.title"), templates.PortalSignIn(s.ctx(c, "", ""), f))
	} else if err != nil {
		return err
	}
	page := members.SignInPage{Kind: kind, Nonce: randomHex()}
	page.InstanceID = s.beginSignIn(ctx, kind, address)
	waitUntil(ctx, start.Add(signInFloor))
	return c.Redirect(http.StatusSeeOther, "/portal/sign-in/"+s.verifications.SignInPageToken(page))
}

// beginSignIn starts the sign-in of the first record address reaches and returns its instance,
// or "" when no record has the address. A sign-in already under way is asked for a new code
// (within its cooldown). Failures are logged, not shown: the page must look the same.
func (s *Server) beginSignIn(ctx context.Context, kind members.VerificationKind, address string) string {
	targets, err := s.members.SignInTargets(ctx, kind, address)
	if err != nil {
		s.log.ErrorContext(ctx, "portal sign-in: find records", slog.Any("error", err))
		return ""
	}
	if len(targets) == 0 {
		return ""
	}
	id := targets[0].MemberID
	run, err := s.startRun(ctx, members.PortalSignInActor, id, kind, members.PurposeSignIn, address)
	var running *members.RunningError
	if errors.As(err, &running) {
		if err := s.requestResend(ctx, running.Running); err != nil && !errors.Is(err, members.ErrTooManyRequests) {
			s.log.ErrorContext(ctx, "portal sign-in: ask for a new code", slog.Int64("member_id", id), slog.Any("error", err))
		}
		return running.Running.InstanceID
	}
	if err != nil {
		s.log.ErrorContext(ctx, "portal sign-in: start", slog.Int64("member_id", id), slog.Any("error", err))
		return ""
	}
	return run.InstanceID
}

// waitUntil sleeps until t (or the request ends).
func waitUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails; it crashes the program instead
	return hex.EncodeToString(b[:])
}

// portalCodeForm is the page after the sign-in form: enter the code from the SMS or e-mail.
func (s *Server) portalCodeForm(c echo.Context) error {
	page, err := s.signInPage(c)
	if err != nil {
		return err
	}
	return s.renderCodeForm(c, http.StatusOK, page, "")
}

func (s *Server) signInPage(c echo.Context) (members.SignInPage, error) {
	token, _ := url.PathUnescape(c.Param("token"))
	page, err := s.verifications.OpenSignInPage(token)
	if err != nil {
		return page, echo.NewHTTPError(http.StatusNotFound, t(c, "portal.sign_in.bad_link"))
	}
	return page, nil
}

func (s *Server) renderCodeForm(c echo.Context, status int, page members.SignInPage, problem string) error {
	v := templates.PortalCodeView{ByEmail: page.Kind == members.VerifyEmail, Problem: problem}
	return s.portalPage(c, status, t(c, "portal.code.title"), templates.PortalCode(s.ctx(c, "", ""), v))
}

// portalCode takes the typed code. Each page allows max_attempts codes whether or not an address
// stood behind it, so that locking out tells nothing either.
func (s *Server) portalCode(c echo.Context) error {
	ctx := c.Request().Context()
	page, err := s.signInPage(c)
	if err != nil {
		return err
	}
	code := normalizeCode(c.FormValue("code"))
	if code == "" || strings.Trim(code, "0123456789") != "" {
		return s.renderCodeForm(c, http.StatusUnprocessableEntity, page, t(c, "portal.code.digits"))
	}
	last, err := s.verifications.AllowSignInTry(ctx, page.Nonce)
	if errors.Is(err, members.ErrTooManyRequests) {
		return s.renderCodeForm(c, http.StatusTooManyRequests, page, t(c, "portal.code.locked"))
	} else if err != nil {
		return err
	}
	result := members.CodeWrong
	if page.InstanceID != "" {
		res, err := s.submitCode(ctx, page.InstanceID, 0, code)
		switch {
		case errors.Is(err, errNoCode):
		case err != nil:
			return err
		default:
			result = res.Result
		}
	}
	if result == members.CodeVerified {
		return s.startPortalSession(c, page.InstanceID)
	}
	if last && result == members.CodeWrong {
		result = members.CodeLocked
	}
	return s.renderCodeForm(c, http.StatusUnprocessableEntity, page, s.signInProblem(c, result))
}

// signInProblem says what became of a code that did not sign in.
func (s *Server) signInProblem(c echo.Context, result string) string {
	switch result {
	case members.CodeLocked:
		return t(c, "portal.code.locked")
	case members.CodeExpired:
		return t(c, "portal.code.expired")
	case resultPending:
		return t(c, "portal.code.pending")
	}
	return t(c, "portal.code.wrong")
}

// portalLinkForm is where the link in a sign-in e-mail leads: a button, because mail scanners
// open links and must not sign anyone in (or use the link up).
func (s *Server) portalLinkForm(c echo.Context) error {
	if _, err := s.signInLink(c); err != nil {
		return err
	}
	return s.portalPage(c, http.StatusOK, t(c, "portal.link.title"), templates.PortalLink(s.ctx(c, "", ""), ""))
}

func (s *Server) signInLink(c echo.Context) (members.SignInLink, error) {
	token, _ := url.PathUnescape(c.Param("token"))
	l, err := s.verifications.OpenSignInLink(token)
	if err != nil || !strings.HasPrefix(l.InstanceID, "member-sign-in:") {
		return l, echo.NewHTTPError(http.StatusNotFound, t(c, "portal.sign_in.bad_link"))
	}
	return l, nil
}

// portalLink signs in with the link's code.
func (s *Server) portalLink(c echo.Context) error {
	l, err := s.signInLink(c)
	if err != nil {
		return err
	}
	res, err := s.submitCode(c.Request().Context(), l.InstanceID, l.Challenge, l.Code)
	if errors.Is(err, members.ErrNotFound) || errors.Is(err, errNoCode) {
		res = CodeResult{Result: members.CodeExpired}
	} else if err != nil {
		return err
	}
	if res.Result == members.CodeVerified {
		return s.startPortalSession(c, l.InstanceID)
	}
	return s.portalPage(c, http.StatusGone, t(c, "portal.link.title"), templates.PortalLink(s.ctx(c, "", ""), s.signInProblem(c, res.Result)))
}

// startPortalSession turns the verified sign-in into a session: always a new cookie value, never
// one the browser brought along (a planted cookie gains nothing).
func (s *Server) startPortalSession(c echo.Context, instanceID string) error {
	secret, sess, err := s.verifications.ClaimSignIn(c.Request().Context(), instanceID, c.Request().UserAgent())
	if errors.Is(err, members.ErrConflict) || errors.Is(err, members.ErrNotFound) {
		return s.portalPage(c, http.StatusGone, t(c, "portal.link.title"), templates.PortalLink(s.ctx(c, "", ""), t(c, "portal.code.used")))
	}
	if err != nil {
		return err
	}
	s.setCookie(c, portalCookie, secret, int(members.PortalSessionMax.Seconds()))
	s.log.InfoContext(c.Request().Context(), "portal sign-in", slog.Int64("member_id", sess.MemberID), slog.Int("records", len(sess.Reach)))
	return c.Redirect(http.StatusSeeOther, "/portal")
}
